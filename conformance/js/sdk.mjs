// The AWS SDK for JavaScript v3 against the evalcore emulator, unmodified: default request handlers (HTTP/2 for
// bedrock-runtime and bedrock-agent-runtime, HTTP/1.1 for bedrock), endpoints and credentials from the environment
// (AWS_ENDPOINT_URL_<SERVICE>, AWS_ACCESS_KEY_ID, ...: what `evalcore emulator` prints). `node sdk.mjs SCENARIO`
// prints one JSON object of what the SDK returned; tests/conformance/test_js_sdk.py asserts on it.
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ApplyGuardrailCommand,
} from "@aws-sdk/client-bedrock-runtime";
import {
  BedrockAgentRuntimeClient,
  InvokeAgentCommand,
  RetrieveCommand,
  RetrieveAndGenerateCommand,
} from "@aws-sdk/client-bedrock-agent-runtime";
import {
  BedrockClient,
  CreateEvaluationJobCommand,
  GetEvaluationJobCommand,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
} from "@aws-sdk/client-bedrock";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const QUESTION = [{ role: "user", content: [{ text: "What is the capital of France?" }] }];
const decoder = new TextDecoder();

function failure(error) {
  return {
    name: error?.name,
    fault: error?.$fault,
    status: error?.$metadata?.httpStatusCode,
    code: error?.code,
    message: String(error?.message ?? error),
    stack: process.env.CONFORMANCE_DEBUG ? error?.stack : undefined,
  };
}

async function runtimeCalls() {
  const runtime = new BedrockRuntimeClient({});
  const out = { handler: runtime.config.requestHandler.constructor.name };
  const converse = await runtime.send(new ConverseCommand({ modelId: HAIKU, messages: QUESTION }));
  out.converse = { text: converse.output.message.content[0].text, stopReason: converse.stopReason, usage: converse.usage };

  const stream = await runtime.send(new ConverseStreamCommand({ modelId: HAIKU, messages: QUESTION }));
  out.converseStream = { events: [], text: "" };
  for await (const event of stream.stream) {
    const kind = Object.keys(event).find((key) => event[key] !== undefined);
    out.converseStream.events.push(kind);
    if (kind === "contentBlockDelta") out.converseStream.text += event.contentBlockDelta.delta.text ?? "";
  }

  const body = JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 200, messages: QUESTION.map(
    (m) => ({ role: m.role, content: m.content[0].text })) });
  const invoked = await runtime.send(new InvokeModelCommand({ modelId: HAIKU, body, contentType: "application/json" }));
  out.invokeModel = JSON.parse(decoder.decode(invoked.body));

  const streamed = await runtime.send(
    new InvokeModelWithResponseStreamCommand({ modelId: HAIKU, body, contentType: "application/json" }),
  );
  out.invokeModelStream = { types: [], text: "" };
  for await (const event of streamed.body) {
    const chunk = JSON.parse(decoder.decode(event.chunk.bytes));
    out.invokeModelStream.types.push(chunk.type);
    if (chunk.type === "content_block_delta") out.invokeModelStream.text += chunk.delta.text;
  }

  const guarded = await runtime.send(
    new ApplyGuardrailCommand({
      guardrailIdentifier: "grdemo",
      guardrailVersion: "DRAFT",
      source: "INPUT",
      content: [{ text: { text: "My email is jane@example.com" } }],
    }),
  );
  out.applyGuardrail = { action: guarded.action, outputs: guarded.outputs, assessments: guarded.assessments.length };
  return out;
}

async function collectAgent(response) {
  const turn = { sessionId: response.sessionId, text: "", traces: [], returnControl: null, citations: 0 };
  for await (const event of response.completion) {
    if (event.chunk) {
      turn.text += decoder.decode(event.chunk.bytes);
      turn.citations += event.chunk.attribution?.citations?.length ?? 0;
    } else if (event.trace) {
      turn.traces.push(Object.keys(event.trace.trace)[0]);
    } else if (event.returnControl) {
      turn.returnControl = event.returnControl;
    }
  }
  return turn;
}

async function agentCalls() {
  const agents = new BedrockAgentRuntimeClient({});
  const out = { handler: agents.config.requestHandler.constructor.name };
  const ids = { agentId: "CLAIMAGENT", agentAliasId: "TSTALIASID" };
  out.traced = await collectAgent(
    await agents.send(
      new InvokeAgentCommand({ ...ids, sessionId: "js-traced", enableTrace: true, inputText: "How do I file a claim?" }),
    ),
  );
  const asked = await collectAgent(
    await agents.send(
      new InvokeAgentCommand({ ...ids, sessionId: "js-control", inputText: "Please send a reminder for claim-006" }),
    ),
  );
  out.returnControl = asked.returnControl;
  const invocation = asked.returnControl.invocationInputs[0].functionInvocationInput;
  out.resumed = await collectAgent(
    await agents.send(
      new InvokeAgentCommand({
        ...ids,
        sessionId: "js-control",
        sessionState: {
          invocationId: asked.returnControl.invocationId,
          returnControlInvocationResults: [
            {
              functionResult: {
                actionGroup: invocation.actionGroup,
                function: invocation.function,
                responseBody: { TEXT: { body: "RM-42" } },
              },
            },
          ],
        },
      }),
    ),
  );
  const retrieved = await agents.send(
    new RetrieveCommand({ knowledgeBaseId: "KBCLAIMS01", retrievalQuery: { text: "how do I file a claim" } }),
  );
  out.retrieve = retrieved.retrievalResults.map((r) => ({ uri: r.location.s3Location.uri, score: r.score }));
  const generated = await agents.send(
    new RetrieveAndGenerateCommand({
      input: { text: "How many days do I have to file a claim?" },
      retrieveAndGenerateConfiguration: {
        type: "KNOWLEDGE_BASE",
        knowledgeBaseConfiguration: {
          knowledgeBaseId: "KBCLAIMS01",
          modelArn: `arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`,
        },
      },
    }),
  );
  out.retrieveAndGenerate = { text: generated.output.text, citations: generated.citations.length, sessionId: generated.sessionId };
  return out;
}

async function settle(client, command, statuses) {
  for (let i = 0; i < 200; i++) {
    const job = await client.send(command);
    if (statuses.includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("job did not finish");
}

async function jobCalls() {
  const bedrock = new BedrockClient({});
  const out = { handler: bedrock.config.requestHandler.constructor.name };
  const bucket = process.env.CONFORMANCE_BUCKET;
  const evaluation = await bedrock.send(
    new CreateEvaluationJobCommand({
      jobName: "js-eval",
      roleArn: "arn:aws:iam::123456789012:role/BedrockEval",
      evaluationConfig: {
        automated: {
          datasetMetricConfigs: [
            {
              taskType: "QuestionAndAnswer",
              dataset: { name: "qa", datasetLocation: { s3Uri: `s3://${bucket}/conformance/qa.jsonl` } },
              metricNames: ["Builtin.Accuracy"],
            },
          ],
        },
      },
      inferenceConfig: { models: [{ bedrockModel: { modelIdentifier: HAIKU, inferenceParams: "{}" } }] },
      outputDataConfig: { s3Uri: `s3://${bucket}/conformance/eval-out/` },
    }),
  );
  const evalJob = await settle(bedrock, new GetEvaluationJobCommand({ jobIdentifier: evaluation.jobArn }), [
    "Completed",
    "Failed",
  ]);
  out.evaluation = { arn: evaluation.jobArn, status: evalJob.status, jobType: evalJob.jobType };
  const batch = await bedrock.send(
    new CreateModelInvocationJobCommand({
      jobName: "js-batch",
      roleArn: "arn:aws:iam::123456789012:role/BedrockBatch",
      modelId: HAIKU,
      inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://${bucket}/conformance/batch.jsonl` } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${bucket}/conformance/batch-out/` } },
    }),
  );
  const batchJob = await settle(bedrock, new GetModelInvocationJobCommand({ jobIdentifier: batch.jobArn }), [
    "Completed",
    "PartiallyCompleted",
    "Failed",
  ]);
  out.batch = { arn: batch.jobArn, status: batchJob.status };
  return out;
}

// One call under the fault the world sets for it (the test sets a world whose faults fire on every call);
// maxAttempts 1 so that each fault is seen once rather than retried.
async function faultCall() {
  const [operation] = process.argv.slice(3);
  const runtime = new BedrockRuntimeClient({ maxAttempts: 1 });
  const agents = new BedrockAgentRuntimeClient({ maxAttempts: 1 });
  try {
    if (operation === "Converse") {
      await runtime.send(new ConverseCommand({ modelId: HAIKU, messages: QUESTION }));
    } else if (operation === "ConverseStream") {
      const response = await runtime.send(new ConverseStreamCommand({ modelId: HAIKU, messages: QUESTION }));
      for await (const _event of response.stream);
    } else if (operation === "InvokeAgent") {
      const response = await agents.send(
        new InvokeAgentCommand({ agentId: "CLAIMAGENT", agentAliasId: "TSTALIASID", sessionId: "js-fault", inputText: "list of claims" }),
      );
      for await (const _event of response.completion);
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, error: failure(error) };
  }
}

const scenarios = { runtime: runtimeCalls, agents: agentCalls, jobs: jobCalls, fault: faultCall };
const scenario = scenarios[process.argv[2]];
if (!scenario) {
  console.error(`usage: node sdk.mjs ${Object.keys(scenarios).join("|")} [operation]`);
  process.exit(2);
}
try {
  console.log(JSON.stringify(await scenario()));
  process.exit(0);
} catch (error) {
  console.log(JSON.stringify({ error: failure(error) }));
  process.exit(1);
}
