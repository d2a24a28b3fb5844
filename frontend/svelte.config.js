// Svelte 5 compiles TypeScript in <script lang="ts"> itself; nothing to
// preprocess. The file exists so the tools agree on that.
export default {};
