import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * Two projects:
 *  - workers: unit and integration tests inside workerd (@cloudflare/vitest-plugin), with a real
 *    HTTP receiver on 127.0.0.1 started in globalSetup;
 *  - e2e: Node tests against `wrangler dev` (fault injection, browser test of the dashboard).
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations(fileURLToPath(new URL("./migrations", import.meta.url)));
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  ADMIN_TOKEN: "test-operator-token",
                  ENCRYPTION_KEY: "q83vEjRWeJq8vfEjRWeJq83vEjRWeJq83vEjRWeJq80=",
                  ALLOW_PRIVATE_TARGETS: "true",
                  PUBLIC_URL: "http://hookline.test",
                  TEST_MIGRATIONS: migrations,
                },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
            globalSetup: ["./test/global-setup.ts"],
            setupFiles: ["./test/apply-migrations.ts"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
            // expect.poll's own default (1 s) is shorter than a queue hop plus a request on a
            // loaded 2-core CI machine; a poll still fails fast enough when the state never comes.
            expect: { poll: { timeout: 15_000 } },
          },
        },
        {
          test: {
            name: "e2e",
            environment: "node",
            include: ["test/e2e/**/*.test.ts"],
            globalSetup: ["./test/e2e/global-setup.ts"],
            testTimeout: 180_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
      ],
    },
  };
});
