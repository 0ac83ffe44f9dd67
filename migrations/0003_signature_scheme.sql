ALTER TABLE `hooks` ADD `signature_scheme` text DEFAULT 'v1' NOT NULL;--> statement-breakpoint
ALTER TABLE `hooks` ADD `signing_key_enc` text;--> statement-breakpoint
ALTER TABLE `hooks` ADD `public_key` text;--> statement-breakpoint
ALTER TABLE `hooks` ADD `prev_signing_key_enc` text;--> statement-breakpoint
ALTER TABLE `hooks` ADD `prev_public_key` text;