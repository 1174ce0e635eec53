// Shaders are imported as text: esbuild (bundle), the Node loader (examples) and vitest all
// load `.wgsl` files as their source string.
declare module '*.wgsl' {
  const source: string;
  export default source;
}
