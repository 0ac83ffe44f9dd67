/** Vite's `?raw` imports: a file's text (used to test docs against code). */
declare module "*?raw" {
  const text: string;
  export default text;
}
