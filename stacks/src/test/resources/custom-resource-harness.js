// Runs CDK's AwsCustomResource handler (the Lambda code CDK synthesizes as an asset) on one
// CloudFormation event, offline. Every AWS SDK package the handler tries to load is recorded and
// refused, so an SDK call (a write) shows up as an attempted load; the response the handler would
// PUT to CloudFormation's pre-signed URL is captured instead of sent.
// usage: node custom-resource-harness.js <handler index.js> <event.json>
const Module = require('module');
const https = require('https');

const sdkLoads = [];
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request.includes('@aws-sdk/')) {
    sdkLoads.push(request);
    throw new Error('harness: AWS SDK load refused: ' + request);
  }
  return load.call(this, request, ...rest);
};

let response = null;
https.request = (options, callback) => {
  const chunks = [];
  return {
    on() { return this; },
    write(data) { chunks.push(String(data)); },
    end() { response = JSON.parse(chunks.join('')); if (callback) callback({ statusCode: 200 }); },
  };
};

const [handlerPath, eventPath] = process.argv.slice(2);
const event = JSON.parse(require('fs').readFileSync(eventPath, 'utf8'));
require(handlerPath).handler(event, { logStreamName: 'harness' }).then(() => {
  process.stdout.write('\nHARNESS-RESULT ' + JSON.stringify({ response, sdkLoads }) + '\n');
});
