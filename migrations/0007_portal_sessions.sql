CREATE TABLE `portal_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`key_id` text NOT NULL,
	`channel` text NOT NULL,
	`capabilities` text NOT NULL,
	`return_url` text,
	`branding` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `portal_sessions_tenant` ON `portal_sessions` (`tenant_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `tenants` ADD `portal_origins` text DEFAULT '[]' NOT NULL;