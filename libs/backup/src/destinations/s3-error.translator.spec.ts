import { Redactor } from '../common/redact';
import { DestinationUnreachableError } from './destination.errors';
import { translateS3Error } from './s3-error.translator';

const ctx = {
  bucket: 'backups',
  endpoint: 'http://127.0.0.1:4569',
  action: 'checking the bucket',
  redactor: new Redactor(['super-secret-key']),
};

function sdkError(name: string, message: string, status?: number) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

describe('translateS3Error', () => {
  it('names the variables to check for a refused key', () => {
    const err = translateS3Error(sdkError('InvalidAccessKeyId', 'nope', 403), ctx);
    expect(err).toBeInstanceOf(DestinationUnreachableError);
    expect(err.message).toContain('the S3 access key was refused (InvalidAccessKeyId)');
    expect(err.message).toContain('check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY');
  });

  it('an answer that is not XML (a web page) is named as not S3, not as the SDK parse error', () => {
    const parseError = Object.assign(
      new Error('@aws-sdk XML parse error: mismatched tags <br> and </body>.\n  Deserialization error: ...'),
      {
        $metadata: { httpStatusCode: 200 },
        $response: { statusCode: 200, headers: { 'content-type': 'text/plain' } },
        $responseBodyText: '<html><body><p>hello<br></body></html>',
      },
    );
    const err = translateS3Error(parseError, ctx);
    expect(err.message).toContain(
      "checking the bucket failed: the endpoint at http://127.0.0.1:4569 answered with something that is not S3 (text/plain, HTTP 200, starts with '<html><body><p>hello<br></body></html>')",
    );
    expect(err.message).toContain('check AWS_ENDPOINT');
    expect(err.message).not.toMatch(/XML parse error/);
  });

  it('recognises a wrapped connection refusal as an unreachable endpoint', () => {
    const err = translateS3Error(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:4569'), ctx);
    expect(err.message).toContain('cannot reach S3 endpoint http://127.0.0.1:4569 (ECONNREFUSED)');
    expect(err.message).toContain('check AWS_ENDPOINT');
  });

  it('names a missing bucket', () => {
    const err = translateS3Error(sdkError('NoSuchBucket', 'x', 404), ctx);
    expect(err.message).toContain('the bucket "backups" does not exist');
  });

  it('never passes a configured secret through, whatever the server echoed', () => {
    const err = translateS3Error(sdkError('WeirdError', 'server said super-secret-key', 500), ctx);
    expect(err.message).not.toContain('super-secret-key');
    expect(err.message).toContain('WeirdError');
  });
});
