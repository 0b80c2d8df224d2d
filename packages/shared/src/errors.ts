/**
 * The one error type of `@homeostat/shared`. `code` is a closed union so callers can switch on it
 * exhaustively; `message` is safe to show (it never quotes the offending value, which may be a
 * secret or personal data), and `fields` names what was wrong by path.
 */
export type SharedErrorCode = 'config_invalid' | 'config_secret_in_file' | 'env_invalid';

export class SharedError extends Error {
  override readonly name = 'SharedError';
  readonly code: SharedErrorCode;
  readonly fields: readonly string[];

  constructor(code: SharedErrorCode, message: string, fields: readonly string[] = []) {
    super(message);
    this.code = code;
    this.fields = fields;
  }
}
