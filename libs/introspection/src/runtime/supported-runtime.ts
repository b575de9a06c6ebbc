/**
 * The Node.js and NestJS versions the package supports, checked when it is
 * first imported: an unsupported runtime gets one message naming the
 * supported ranges instead of a stack trace from inside a dependency (on
 * Node below 20.19, Nest 12's ES modules cannot even be required).
 * This module imports nothing, so it runs before any dependency loads.
 */

/** `engines.node` of the package: where `require(esm)` works unflagged. */
export const SUPPORTED_NODE_RANGE = '^20.19.0 || ^22.12.0 || >=24.0.0';
/** The NestJS majors of the peer ranges. */
export const SUPPORTED_NEST_MAJORS: readonly number[] = [11, 12];

function parts(version: string): [number, number] {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return [major, minor];
}

/** Whether `version` (e.g. `20.19.2`) is in {@link SUPPORTED_NODE_RANGE}. */
export function isSupportedNode(version: string): boolean {
  const [major, minor] = parts(version);
  return (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 24;
}

/**
 * Why this runtime is not supported, or undefined when it is.
 * @param nestVersion the installed `@nestjs/common` version, when known
 */
export function unsupportedRuntime(nodeVersion: string, nestVersion?: string): string | undefined {
  const problems: string[] = [];
  if (!isSupportedNode(nodeVersion)) {
    problems.push(
      `Node.js ${nodeVersion.replace(/^v/, '')} is not supported (supported: ${SUPPORTED_NODE_RANGE})`,
    );
  }
  if (nestVersion !== undefined && !SUPPORTED_NEST_MAJORS.includes(parts(nestVersion)[0])) {
    problems.push(
      `@nestjs/common ${nestVersion} is not supported (supported: NestJS ${SUPPORTED_NEST_MAJORS.join(' and ')})`,
    );
  }
  return problems.length > 0 ? `nestjs-introspection: ${problems.join('; ')}.` : undefined;
}

function installedNestVersion(): string | undefined {
  try {
    // Both majors export their package.json; resolved from here, it is the app's.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('@nestjs/common/package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** @throws Error with code `ERR_UNSUPPORTED_RUNTIME` on an unsupported Node.js or NestJS */
export function assertSupportedRuntime(
  nodeVersion = process.versions.node,
  nestVersion = installedNestVersion(),
): void {
  const problem = unsupportedRuntime(nodeVersion, nestVersion);
  if (problem) {
    throw Object.assign(new Error(problem), { code: 'ERR_UNSUPPORTED_RUNTIME' });
  }
}

assertSupportedRuntime();
