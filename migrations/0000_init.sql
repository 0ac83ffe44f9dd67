CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`scopes` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `api_keys_tenant` ON `api_keys` (`tenant_id`);--> statement-breakpoint
CREATE TABLE `event_types` (
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`archived` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `name`),
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `hooks` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`url` text NOT NULL,
	`description` text,
	`events` text NOT NULL,
	`channels` text NOT NULL,
	`filter` text,
	`profile` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`status` text NOT NULL,
	`disabled_reason` text,
	`expires_at` integer,
	`ordering` text DEFAULT 'strict' NOT NULL,
	`max_in_flight` integer DEFAULT 10 NOT NULL,
	`order_window_ms` integer DEFAULT 1000 NOT NULL,
	`retry_schedule` text,
	`timeout_ms` integer DEFAULT 15000 NOT NULL,
	`rate_limit_per_s` integer,
	`headers` text NOT NULL,
	`metadata` text NOT NULL,
	`validation` text DEFAULT 'none' NOT NULL,
	`validation_token_hash` text,
	`validation_deadline` integer,
	`secret_enc` text,
	`prev_secret_enc` text,
	`prev_secret_until` integer,
	`last_status` text DEFAULT 'none' NOT NULL,
	`last_error` text,
	`last_delivery_at` integer,
	`failing_since` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `hooks_tenant` ON `hooks` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `hooks_routing` ON `hooks` (`tenant_id`,`status`,`enabled`);--> statement-breakpoint
CREATE INDEX `hooks_expiry` ON `hooks` (`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`strict_types` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
