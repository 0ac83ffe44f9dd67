import "vitest";
declare module "vitest" {
  export interface ProvidedContext {
    receiverPort: number;
  }
}
