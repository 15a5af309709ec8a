"""Responses, events and lists as HTML tables in a notebook, and as readable text elsewhere."""

from __future__ import annotations

from IPython.lib.pretty import pretty

from sdk.display import events_text, html_table, response_html, text_table
from sdk.wire.message import Event, EventList, Headers, Response, message_from_pairs


def make_response() -> Response:
    response = message_from_pairs(
        [
            ("Response", "Success"),
            ("ActionID", "a-1"),
            ("EventList", "start"),
            ("Message", "Peer status list will follow"),
        ]
    )
    assert isinstance(response, Response)
    for name, status in [("phone1", "OK (5 ms)"), ("phone2", "<Unreachable>")]:
        response.events.append(
            Event(
                Headers(
                    [
                        ("Event", "PeerEntry"),
                        ("ActionID", "a-1"),
                        ("ObjectName", name),
                        ("Status", status),
                    ]
                )
            )
        )
    response.complete = Event(
        Headers([("Event", "PeerlistComplete"), ("EventList", "Complete"), ("ListItems", "2")])
    )
    return response


def test_response_html_shows_status_headers_and_list_items_as_tables() -> None:
    response = make_response()
    out = response._repr_html_()
    assert out == response_html(response)
    assert "Success</b> Peer status list will follow" in out
    assert "<td style" in out and ">ActionID</td>" in out and ">a-1</td>" in out
    assert "2 list items, ended by PeerlistComplete" in out
    # one table for the items: a column a header, a row an event
    items = out.split("ended by PeerlistComplete</div>")[1]
    assert items.count("<tr>") == 3 and ">ObjectName</th>" in items and ">phone2</td>" in items
    assert "&lt;Unreachable&gt;" in out and "<Unreachable>" not in out


def test_error_status_is_red_and_unparsed_lines_are_kept() -> None:
    response = message_from_pairs([("Response", "Error"), ("Message", "Permission denied")])
    response.unparsed = ("a line without a colon",)
    out = response._repr_html_()
    assert "jp-error-color1" in out and "Permission denied" in out
    assert "a line without a colon" in out
    assert "list item" not in out


def test_event_lists_render_as_one_table_and_as_aligned_text() -> None:
    events = make_response().events
    assert isinstance(events, EventList)
    text = str(events)
    lines = text.splitlines()
    assert lines[0].split() == ["Event", "ActionID", "ObjectName", "Status"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[3].startswith("PeerEntry") and lines[3].endswith("<Unreachable>")
    assert lines[2].index("phone1") == lines[0].index("ObjectName")
    assert pretty(events) == text
    assert "<table" in events._repr_html_() and "phone2" in events._repr_html_()
    assert str(EventList()) == "(no events)" and "no events" in EventList()._repr_html_()


def test_messages_show_as_their_headers_in_ipython() -> None:
    response = make_response()
    assert pretty(response).startswith("Response: Success\nActionID: a-1")
    assert "ObjectName: phone1" in pretty(response)


def test_tables_escape_every_cell_and_cut_long_text() -> None:
    out = html_table(["<h>"], [["<script>alert(1)</script>"]])
    assert "<script>" not in out and "&lt;script&gt;" in out and "&lt;h&gt;" in out
    text = text_table(["name"], [["x" * 100], ["two\nlines"]], width=10)
    assert text.splitlines()[2] == "xxxxxxxxx…" and text.splitlines()[3] == "two lines"
    assert events_text([]) == "(no events)"
