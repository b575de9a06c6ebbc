/**
 * Testing kit of the introspection module, imported from
 * `@app/introspection/testing`: never part of the main entry point, so
 * production code cannot pull it in by accident.
 * @module testing
 */
// First: names the supported Node.js and NestJS versions before any dependency fails to load.
import '../runtime/supported-runtime';
export { IntrospectionTestingModule, type IntrospectionTestingOptions } from './introspection-testing.module';
export {
  TestingIntrospectionService,
  type TestingIntrospectionAnswer,
  type TestingIntrospectionAnswerFunction,
} from './testing-introspection.service';
