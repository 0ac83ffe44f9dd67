ALTER TABLE `hooks` ADD `alias` text;--> statement-breakpoint
ALTER TABLE `hooks` ADD `ephemeral` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `hooks_alias` ON `hooks` (`tenant_id`,`alias`);