"""World-file sections for agents, knowledge bases and jobs.

``agents`` (keyed by agent id) hold scripted dialogs, ``knowledge_bases`` (keyed by knowledge base id) hold
documents, ``jobs`` holds the timing and failure settings of evaluation and batch inference jobs.
The rules that turn these declarations into answers are documented in ``docs/emulator-agents-jobs.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evalcore_emulator.keywords import content_words


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Slot(_Section):
    """A value the agent needs before it acts: taken from the user's words, else asked for."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    pattern: str = Field(description="regex; its first match in the session's user messages fills the slot")
    question: str = Field(description="what the agent asks back while the slot is empty")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        re.compile(value)
        return value


class ActionCall(_Section):
    """One action group invocation: ``function`` (function-schema group) or ``api_path`` (OpenAPI group)."""

    action_group: str
    function: str | None = None
    api_path: str | None = None
    verb: str = "get"
    parameters: dict[str, str] = Field(default_factory=dict, description="values may use {slot} placeholders")
    request_body: dict[str, str] = Field(
        default_factory=dict,
        description="OpenAPI actions: the JSON request body's properties (values may use {slot} placeholders)",
    )
    output: str = Field("", description="the action's result text (trace observation); may use {slot}")
    return_control: bool = Field(
        False, description="send returnControl instead of calling it; the caller's result becomes {result}"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> ActionCall:
        if (self.function is None) == (self.api_path is None):
            raise ValueError("an action call names exactly one of `function` or `api_path`")
        if self.request_body and self.api_path is None:
            raise ValueError("only an OpenAPI action (`api_path`) has a request body")
        return self


class Intent(_Section):
    """What the agent does when one of ``keywords`` occurs in the user's message (case-insensitive)."""

    name: str
    keywords: list[str] = Field(min_length=1)
    slots: list[Slot] = Field(default_factory=list)
    actions: list[ActionCall] = Field(default_factory=list)
    cite: list[str] = Field(
        default_factory=list, description="ids of documents of the agent's knowledge base the reply cites"
    )
    reply: str = Field(description="the final answer; may use {slot} placeholders and {result}")
    rationale: str | None = Field(None, description="orchestration rationale in the trace (default derived)")
    failure: str | None = Field(
        None, description="the turn fails: a failureTrace, then a dependencyFailedException in the stream"
    )

    def slot_values(self, user_inputs: Sequence[str], given: Mapping[str, str] | None = None) -> dict[str, str]:
        """Each slot's value: what `given` holds for it (attributes the turn carries), else its pattern's match in
        the latest user message that has one."""
        filled = {}
        for slot in self.slots:
            if given and given.get(slot.name):
                filled[slot.name] = given[slot.name]
                continue
            for text in reversed(user_inputs):
                match = re.search(slot.pattern, text, re.IGNORECASE)
                if match:
                    filled[slot.name] = match.group(0)
                    break
        return filled


def fill(template: str, values: Mapping[str, str]) -> str:
    """`template` with each {name} replaced by its value (unknown names kept as they are)."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


class AgentGuardrail(_Section):
    """A guardrail attached to the agent: it intervenes when one of ``blocked_keywords`` is in the input."""

    blocked_keywords: list[str] = Field(min_length=1)
    blocked_message: str = "Sorry, the model cannot answer this question."


class AgentSpec(_Section):
    """A Bedrock agent with a scripted dialog."""

    name: str
    aliases: list[str] = Field(default_factory=lambda: ["TSTALIASID"])
    foundation_model: str = "anthropic.claude-3-haiku-20240307-v1:0"
    knowledge_base_id: str | None = Field(None, description="the knowledge base whose documents intents cite")
    intents: list[Intent] = Field(default_factory=list)
    guardrail: AgentGuardrail | None = None
    default_reply: str = "Sorry, I can only help with the tasks I was built for."

    @model_validator(mode="after")
    def _coherent(self) -> AgentSpec:
        names = [intent.name for intent in self.intents]
        if len(names) != len(set(names)):
            raise ValueError("intent names must be unique")
        if any(intent.cite for intent in self.intents) and self.knowledge_base_id is None:
            raise ValueError("an intent cites documents: set knowledge_base_id")
        return self


class McpToolResult(_Section):
    """One scripted answer of an MCP tool: the first whose ``arguments`` all equal the call's answers."""

    arguments: dict[str, object] = Field(default_factory=dict, description="{} matches any call")
    text: str = Field("", description="the result's one text content item")
    structured: dict[str, object] | None = Field(None, description="the result's structuredContent")
    is_error: bool = Field(False, description="a tool execution error (isError: true)")
    malformed: bool = Field(False, description="answer a JSON-RPC response with neither result nor error")


class McpToolSpec(_Section):
    description: str = ""
    required: list[str] = Field(default_factory=list, description="arguments a call must give (else error -32602)")
    results: list[McpToolResult] = Field(min_length=1)


class McpServerSpec(_Section):
    """An MCP server (streamable HTTP, JSON-RPC 2.0) with scripted tools."""

    tools: dict[str, McpToolSpec] = Field(min_length=1)
    protocol_versions: list[str] = Field(
        default_factory=lambda: ["2025-06-18", "2025-03-26"], description="the first is answered to any other"
    )
    event_stream: bool = Field(False, description="answer each request as text/event-stream, not JSON")


class AgentCoreRuntimeSpec(_Section):
    """An agent on Bedrock AgentCore Runtime (keyed by runtime id): it runs the dialog of one of the world's
    ``agents`` (intents, slots, actions as tool calls; no returnControl or citations) behind InvokeAgentRuntime,
    or, with ``mcp``, is an MCP server whose tools answer as scripted."""

    agent: str | None = Field(None, description="the id of the world's agent whose intents it runs")
    mcp: McpServerSpec | None = Field(None, description="an MCP server instead of an agent")
    qualifiers: list[str] = Field(default_factory=lambda: ["DEFAULT"], description="its endpoints")

    @model_validator(mode="after")
    def _agent_or_mcp(self) -> AgentCoreRuntimeSpec:
        if (self.agent is None) == (self.mcp is None):
            raise ValueError("an AgentCore runtime is either an `agent` or an `mcp` server")
        return self


class KnowledgeBaseDocument(_Section):
    id: str
    uri: str = Field(description="its S3 location, e.g. s3://kb-docs/claims/claim-process.txt")
    text: str
    metadata: dict[str, str] = Field(default_factory=dict)


class RetrievedDocument(BaseModel):
    document: KnowledgeBaseDocument
    score: float


class KnowledgeBaseSpec(_Section):
    """A knowledge base: documents retrieved by word overlap.

    Retrieval rule: the score of a document is the share of the query's content words that occur in it
    (0 to 1). Documents scoring at least ``min_score`` (and above 0) come best first, ties in file order.
    """

    name: str
    documents: list[KnowledgeBaseDocument] = Field(default_factory=list)
    min_score: float = Field(0.2, ge=0, le=1)
    no_answer: str = "Sorry, I am unable to assist you with this request."

    def retrieve(self, query: str, limit: int) -> list[RetrievedDocument]:
        wanted = content_words(query)
        if not wanted:
            return []
        hits = []
        for document in self.documents:
            have = set(content_words(document.text))
            score = round(sum(word in have for word in wanted) / len(wanted), 4)
            if score > 0 and score >= self.min_score:
                hits.append(RetrievedDocument(document=document, score=score))
        hits.sort(key=lambda hit: -hit.score)
        return hits[:limit]

    def document(self, document_id: str) -> KnowledgeBaseDocument | None:
        return next((d for d in self.documents if d.id == document_id), None)


class JobSettings(_Section):
    """Evaluation and batch inference jobs."""

    duration_seconds: float = Field(0.5, ge=0, description="how long a job stays InProgress before it ends")
    fail_name_pattern: str | None = Field(None, description="regex; jobs whose name matches end Failed")
    failure_message: str = "Internal error while running the job."
    never_finish_name_pattern: str | None = Field(None, description="regex; matching jobs stay InProgress")
    batch_min_records: int = Field(100, ge=1, description="batch inference: fewer -> ValidationException")
    toxic_words: list[str] = Field(
        default_factory=lambda: ["idiot", "stupid", "hate", "kill", "moron", "dumb", "shut up", "worthless"],
        description="Builtin.Toxicity: a response containing one of these words scores 1, else 0",
    )

    @field_validator("fail_name_pattern", "never_finish_name_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value
