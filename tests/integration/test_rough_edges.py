"""Rough edges a new user meets (issue 11, items 8 and 12): each answer is
the plain one, never a bogus date, a contradiction or a misleading error."""
import json
import os

P = "agents/main/profiles"


def test_order_of_a_provider_without_credential_is_an_empty_answer(state, mount):
    p = state.run("models", "auth", "order", "get", "--provider", "groq")
    assert p.returncode == 0, p.err
    assert "Order override: (none)" in p.out
    assert "Effective order: (no usable credential)" in p.out
    j = state.run("models", "auth", "order", "get", "--provider", "groq", "--json")
    assert j.returncode == 0, j.err
    assert json.loads(j.out)["effective"] == [] and json.loads(j.out)["order"] is None
    m = mount()
    assert (m / f"{P}/groq/order").read_text() == ""
    assert os.stat(m / f"{P}/groq/order").st_size == 0
