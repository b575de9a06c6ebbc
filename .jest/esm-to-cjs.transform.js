// Jest (29, CommonJS runtime) cannot load ESM-only packages such as jose 6.
// This transformer rewrites their modules to CommonJS with the TypeScript
// compiler the project already has; Node itself loads them natively.
const ts = require('typescript');
const { createHash } = require('node:crypto');

module.exports = {
  process(sourceText, sourcePath) {
    const { outputText } = ts.transpileModule(sourceText, {
      fileName: sourcePath,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        allowJs: true,
        esModuleInterop: true,
      },
    });
    return { code: outputText };
  },
  getCacheKey(sourceText, sourcePath) {
    return createHash('sha256').update('esm-to-cjs:1').update(sourcePath).update(sourceText).digest('hex');
  },
};
