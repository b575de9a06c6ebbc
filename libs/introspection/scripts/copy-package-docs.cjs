// Run by `npm pack` (prepack): the package ships the repository's README,
// LICENSE and the guides in docs/ (not the generated API pages), so that the
// README's relative links resolve inside node_modules/nestjs-introspection.
const { cpSync, copyFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '../../..');
const pkg = join(__dirname, '..');
copyFileSync(join(root, 'README.md'), join(pkg, 'README.md'));
copyFileSync(join(root, 'LICENSE'), join(pkg, 'LICENSE'));
rmSync(join(pkg, 'docs'), { recursive: true, force: true });
cpSync(join(root, 'docs'), join(pkg, 'docs'), {
  recursive: true,
  filter: (source) => !source.startsWith(join(root, 'docs/api')),
});
