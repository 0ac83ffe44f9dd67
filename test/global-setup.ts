import type { TestProject } from "vitest/node";
// @ts-expect-error plain ESM helper shared with bench/
import { startReceiver } from "./receiver.mjs";

import type {} from "./types/provided";

export default async function setup(project: TestProject) {
  const receiver = await startReceiver();
  project.provide("receiverPort", receiver.port);
  return async () => {
    receiver.server.closeAllConnections?.();
    await receiver.close();
  };
}
