"""The JSONPath subset of the http, lambda and sagemaker targets."""

from __future__ import annotations

import re

import pytest

from evalcore.runners.agents.targets.json_path import JsonPathError, find, parse, put


def test_paths_read_names_quoted_names_and_indexes() -> None:
    assert parse("$.choices[0].message['content']") == ["choices", 0, "message", "content"]
    assert parse('$["a b"][-1]') == ["a b", -1]
    assert find({"choices": [{"message": {"content": "hi"}}]}, "$.choices[0].message.content") == "hi"
    assert find({"outputs": [1, 2, 3]}, "$.outputs[-1]") == 3


def test_put_places_a_value_without_touching_the_rest() -> None:
    body = {"inputs": {"text": "", "keep": 1}, "list": [0, 0]}
    put(body, "$.inputs.text", "hello")
    put(body, "$.list[1]", "x")
    assert body == {"inputs": {"text": "hello", "keep": 1}, "list": [0, "x"]}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("choices[0]", "must start with $"),
        ("$..content", "cannot read '..content'"),
        ("$.items[?(@.x)]", "cannot read '[?(@.x)]'"),
    ],
)
def test_unsupported_paths_are_refused_with_a_message(path: str, message: str) -> None:
    with pytest.raises(JsonPathError, match=re.escape(message)):
        parse(path)


def test_a_missing_field_names_the_step() -> None:
    with pytest.raises(JsonPathError, match="no 'answer' in the response"):
        find({"output": {}}, "$.output.answer")
