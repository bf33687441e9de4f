package dev.cairn.error;

/**
 * No credentials to sign requests to S3 with were found anywhere the SDK looks: a setting the user
 * has to supply, not a failure of the network or the server. Its message names the object and the
 * variables to set.
 *
 * <p>Immutable.
 */
public final class NoCredentialsException extends CairnException {
  private static final long serialVersionUID = 1L;

  public NoCredentialsException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public Category category() {
    return Category.NO_CREDENTIALS;
  }
}
