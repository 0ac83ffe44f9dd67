CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`message_id` text NOT NULL,
	`tenant_id` text,
	`event_id` text,
	`hook_ids` text,
	`queue` text,
	`kind` text NOT NULL,
	`reason` text NOT NULL,
	`body` text,
	`attempts` integer NOT NULL,
	`created_at` integer NOT NULL,
	`redriven_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dead_letters_message` ON `dead_letters` (`message_id`);--> statement-breakpoint
CREATE INDEX `dead_letters_tenant` ON `dead_letters` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `dead_letters_open` ON `dead_letters` (`tenant_id`,`redriven_at`);