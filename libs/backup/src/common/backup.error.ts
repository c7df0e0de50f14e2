/**
 * Base class of every error this library raises on purpose. `message` says what happened,
 * `hint` what the operator can do about it; neither ever carries a secret.
 */
export class BackupError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message}\n  → ${hint}` : message);
    this.name = new.target.name;
  }
}
