import { defaultJwtSigningProfile } from '../config/resolve-jwt-signing-profile';
import type {
  ResolvedIntrospectionOptions,
  ResolvedJwtSigningProfile,
} from '../interfaces/introspection-options.interface';
import type { ClientAuthRequest, ClientAuthStrategy } from './client-auth-strategy.interface';
import { addClientAssertion, ClientAssertionSigner, clientAssertionAudience } from './client-assertion';
import type { SigningKey } from './signing-key';

/**
 * What the JWT client assertion methods share: the key is imported once in
 * `init()` and every `authenticate()` signs a new assertion with it.
 * Subclasses say how the key is obtained.
 * @internal
 */
export abstract class ClientAssertionStrategy implements ClientAuthStrategy {
  abstract readonly method: string;
  private signer?: ClientAssertionSigner;

  /**
   * Checks the method's requirements and imports its key.
   * @throws IntrospectionConfigurationError
   */
  protected abstract importKey(
    options: ResolvedIntrospectionOptions,
    profile: ResolvedJwtSigningProfile,
  ): Promise<SigningKey>;

  /** What the server must hold to verify the assertion, for the rejection hint. */
  protected abstract readonly verificationKeyName: string;

  async init(options: ResolvedIntrospectionOptions): Promise<void> {
    const profile = options.jwtSigningProfile ?? defaultJwtSigningProfile();
    const audience = clientAssertionAudience(options);
    const key = await this.importKey(options, profile);
    const signer = new ClientAssertionSigner(key, options.clientId, audience, profile);
    await signer.verifyCanSign();
    this.signer = signer;
  }

  async authenticate(request: ClientAuthRequest): Promise<void> {
    if (this.signer === undefined) {
      throw new Error(`${this.constructor.name}.authenticate() was called before init().`);
    }
    addClientAssertion(request, await this.signer.sign());
  }

  rejectionHint(options: ResolvedIntrospectionOptions): string | undefined {
    if (this.signer === undefined) {
      return undefined;
    }
    const { keyId, algorithm, audience } = this.signer;
    return `check that the server holds ${this.verificationKeyName}${keyId === undefined ? '' : ` (kid "${keyId}")`} for client "${options.clientId}" and allows ${algorithm}, that it accepts aud "${audience}" (set jwtSigningProfile.audience otherwise), and that the clocks agree.`;
  }
}
