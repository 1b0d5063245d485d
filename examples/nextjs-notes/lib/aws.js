// AWS SDK v3 clients, one per process. No endpoint is passed: the SDK reads AWS_ENDPOINT_URL
// (and AWS_ENDPOINT_URL_<SERVICE>) itself, so the same code talks to the sandbox locally and to
// AWS when deployed. Region comes from AWS_REGION, as on Lambda.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

// Bounded: a hung dependency must fail a request in seconds, not at the OS TCP timeout.
const common = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 },
};

let documents;
let secrets;

export function db() {
  documents ??= DynamoDBDocumentClient.from(new DynamoDBClient(common), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documents;
}

export function secretsManager() {
  secrets ??= new SecretsManagerClient(common);
  return secrets;
}
