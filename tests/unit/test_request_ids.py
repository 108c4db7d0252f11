"""The caller's request id is echoed only when it is safe to log and send back."""

import pytest

from entrypoints.grpc_api.calls import _incoming_request_id


class Context:
    def __init__(self, *metadata):
        self.metadata = metadata

    def invocation_metadata(self):
        return self.metadata


def test_a_plain_id_is_kept():
    assert _incoming_request_id(Context(("x-request-id", "req-7f3a.b_2:9"))) == (
        "req-7f3a.b_2:9"
    )


@pytest.mark.parametrize("sent", ["café-1", "a\nb", "x" * 129, "", "a b"])
def test_an_unsafe_id_is_replaced_by_a_new_one(sent):
    made = _incoming_request_id(Context(("x-request-id", sent)))

    assert made != sent
    assert len(made) == 32 and made.isalnum() and made.isascii()
