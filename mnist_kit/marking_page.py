"""``mnist-kit mark``: a local web page to mark one written question across a class, answer by answer.

The page is served by the standard library's HTTP server on 127.0.0.1 only, to a browser that
knows the secret in its address (as Jupyter does): every request without it, or naming another
host, is refused. Answers that are the same after normalising whitespace and case are one group,
marked together. Every change (an item applied, a comment, an item's points) is written to the
question's marks file (:mod:`mnist_kit.marking`) before the page hears back, so closing the
browser or killing the server loses nothing. Students' text reaches the page as JSON and is put
in the page as text (``textContent``), never as HTML.
"""

import json
import secrets
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .files import GradedFolder, shown_name
from .marking import MarkBook, MarkError, unknown_submissions
from .questions import WRITTEN, QuestionError
from .results import TO_REVIEW, WrittenAnswer
from .results_folder import load_results

MAX_REQUEST_BYTES = 64 * 1024
# The page's own script and style only; no other origin, no frames, no images a student's text could name.
POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Group:
    """Answers the same after normalising whitespace and case: marked together."""

    answer: WrittenAnswer
    members: tuple[str, ...]  # submission names


class MarkingSession:
    """One written question of one graded folder, as the page marks it: its answer groups and its mark book."""

    def __init__(self, folder: GradedFolder, question: str) -> None:
        if question not in WRITTEN:
            raise QuestionError(f"there is no written question {question!r}; the written questions are {', '.join(WRITTEN) or 'none'}")
        self.folder, self.question = folder, question
        results = load_results(folder)
        if not results:
            raise FileNotFoundError(f"{folder.root} holds no graded results; run mnist-kit grade --out {folder.root} first")
        self.book = MarkBook.load(folder, WRITTEN[question])
        unknown = unknown_submissions({question: self.book}, (r.submission for r in results if r.submission))
        if unknown:
            raise MarkError(f"{unknown[0]}; restore its result or remove that mark (nothing was changed)")
        groups: dict[str, list[str]] = {}
        answers: dict[str, WrittenAnswer] = {}
        self.blank = 0
        for result in results:
            answer = result.written.get(question, WrittenAnswer(""))
            if result.submission is None or not answer.needs_marking:
                self.blank += 1
                continue
            groups.setdefault(answer.digest, []).append(result.submission)
            answers.setdefault(answer.digest, answer)
        self.groups = [Group(answers[digest], tuple(members)) for digest, members in groups.items()]
        self.lock = threading.Lock()

    def state(self) -> dict[str, Any]:
        """Everything the page shows, as JSON data."""
        rubric = self.book.rubric
        return {
            "question": self.question,
            "points": rubric.points,
            "rubric": rubric.to_json(),
            "blank": self.blank,
            "groups": [self._group_state(index) for index in range(len(self.groups))],
        }

    def _group_state(self, index: int) -> dict[str, Any]:
        group = self.groups[index]
        outcomes = [self.book.outcome(name, group.answer) for name in group.members]
        marks = [self.book.marks.get(name) for name in group.members]
        mark = next((m for m in marks if m is not None), None)
        states = {outcome.marking for outcome in outcomes}
        state = TO_REVIEW if TO_REVIEW in states else outcomes[0].marking
        return {
            "index": index,
            "text": group.answer.text,
            "truncated": group.answer.truncated,
            "members": [shown_name(name) for name in group.members],
            "state": state,
            "items": list(mark.items) if mark else [],
            "comment": mark.comment if mark else "",
            "score": outcomes[0].score,
        }

    def mark(self, index: int, items: list[str], comment: str) -> dict[str, Any]:
        with self.lock:
            group = self.groups[index]
            self.book.mark(group.members, items, comment, group.answer)
            return self._group_state(index)

    def set_points(self, key: str, points: float) -> dict[str, Any]:
        with self.lock:
            self.book.set_points(key, points)
            return self.state()


def _handler(session: MarkingSession, token: str, port: list[int]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
            pass  # the terminal shows the address and errors only

        def _allowed(self) -> bool:
            query = parse_qs(urlsplit(self.path).query)
            host_ok = self.headers.get("Host", "") in (f"{HOST}:{port[0]}", f"localhost:{port[0]}")
            return host_ok and secrets.compare_digest(query.get("token", [""])[0], token)

        def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", POLICY)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, data: object, status: HTTPStatus = HTTPStatus.OK) -> None:
            self._send(status, json.dumps(data).encode(), "application/json")

        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            if not self._allowed():
                self._send(HTTPStatus.FORBIDDEN, b"this page needs the address mnist-kit mark printed", "text/plain")
            elif urlsplit(self.path).path == "/":
                self._send(HTTPStatus.OK, PAGE.encode(), "text/html; charset=utf-8")
            elif urlsplit(self.path).path == "/api/state":
                self._json(session.state())
            else:
                self._send(HTTPStatus.NOT_FOUND, b"no such page", "text/plain")

        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            if not self._allowed():
                self._send(HTTPStatus.FORBIDDEN, b"this page needs the address mnist-kit mark printed", "text/plain")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_REQUEST_BYTES:
                self._json({"error": "request too large"}, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                return
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                path = urlsplit(self.path).path
                if path == "/api/mark":
                    self._json(session.mark(int(body["index"]), [str(k) for k in body["items"]], str(body.get("comment", ""))))
                elif path == "/api/points":
                    self._json(session.set_points(str(body["key"]), float(body["points"])))
                else:
                    self._json({"error": "no such action"}, HTTPStatus.NOT_FOUND)
            except (ValueError, KeyError, IndexError, TypeError) as error:
                self._json({"error": f"{type(error).__name__}: {error}"}, HTTPStatus.BAD_REQUEST)

    return Handler


class MarkingServer:
    """The marking page of ``session``, served on 127.0.0.1 at ``port`` (0: any free one) until :meth:`stop`."""

    def __init__(self, session: MarkingSession, port: int = 0) -> None:
        self.token = secrets.token_urlsafe(24)
        bound = [port]
        self.server = ThreadingHTTPServer((HOST, port), _handler(session, self.token, bound))
        bound[0] = self.server.server_address[1]
        self.url = f"http://{HOST}:{bound[0]}/?token={self.token}"

    def serve(self) -> None:
        self.server.serve_forever()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Marking</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#222;display:grid;grid-template-columns:1fr 22em;min-height:100vh}
main{padding:1.2em 2em}aside{background:#f5f5f5;padding:1.2em;border-left:1px solid #ddd}
#answer{white-space:pre-wrap;border:1px solid #ccc;background:#fff;padding:1em;min-height:8em;font-size:1.05em}
.item{display:flex;gap:.5em;align-items:center;padding:.4em;border:1px solid #ccc;border-radius:4px;margin:.3em 0;background:#fff}
.item.on{background:#d7f0d9;border-color:#3a3}.item kbd{font-weight:bold;min-width:1.2em}
.item input{width:4em}.badge{padding:.1em .5em;border-radius:3px;background:#eee}.badge.review{background:#fde2b3}
#saved{color:#3a3}textarea{width:100%;height:5em}
</style></head><body>
<main>
<h1 id="title">Marking</h1>
<p><span id="position"></span> <span id="state" class="badge"></span> <span id="members"></span></p>
<div id="answer"></div>
<p>Score: <strong id="score"></strong> <span id="saved"></span></p>
<label>Comment for the student (c; Esc to leave)<textarea id="comment"></textarea></label>
<p>Keys: an item's key applies or removes it; Enter marks with the items shown; n / → next, p / ← previous.</p>
</main>
<aside><h2>Rubric</h2><div id="rubric"></div><p id="summary"></p></aside>
<script>
const token = new URLSearchParams(location.search).get("token");
let state = null, current = 0;
async function call(path, body) {
  const response = await fetch(path + "?token=" + encodeURIComponent(token),
    body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  if (!response.ok) { throw new Error(await response.text()); }
  return response.json();
}
function group() { return state.groups[current]; }
function render() {
  document.getElementById("title").textContent = "Marking " + state.question + " (" + state.points + " points)";
  const marked = state.groups.filter(g => g.state === "marked").length;
  document.getElementById("summary").textContent = marked + " of " + state.groups.length + " answers marked; "
    + state.blank + " without an answer (0, nothing to mark).";
  const rubric = document.getElementById("rubric");
  rubric.replaceChildren();
  if (!state.groups.length) { document.getElementById("answer").textContent = "No answer to mark."; return; }
  const g = group();
  for (const item of state.rubric) {
    const row = document.createElement("div");
    row.className = "item" + (g.items.includes(item.key) ? " on" : "");
    row.dataset.key = item.key;
    const key = document.createElement("kbd"); key.textContent = item.key;
    const label = document.createElement("span"); label.textContent = item.label; label.title = item.comment;
    const points = document.createElement("input"); points.type = "number"; points.step = "0.5"; points.value = item.points;
    points.setAttribute("aria-label", "points of item " + item.key);
    points.addEventListener("click", e => e.stopPropagation());
    points.addEventListener("change", () => changePoints(item.key, Number(points.value)));
    row.append(key, label, points);
    row.addEventListener("click", () => toggle(item.key));
    rubric.append(row);
  }
  document.getElementById("position").textContent = "Answer " + (current + 1) + " of " + state.groups.length;
  const badge = document.getElementById("state");
  badge.textContent = g.state; badge.className = "badge" + (g.state === "to review" ? " review" : "");
  document.getElementById("members").textContent = g.members.length > 1
    ? "(" + g.members.length + " students wrote this: " + g.members.join(", ") + ")" : "(" + g.members[0] + ")";
  document.getElementById("answer").textContent = g.text + (g.truncated ? "\\n[cut at 20,000 characters]" : "");
  document.getElementById("score").textContent = g.state === "marked" ? g.score + " / " + state.points : "not marked";
  const comment = document.getElementById("comment");
  if (document.activeElement !== comment) { comment.value = g.comment; }
}
let queue = Promise.resolve(), sent = 0;
const unanswered = new Map();  // answer index -> its last save not yet answered: {number, items, comment}
function showSaved(error) {
  document.getElementById("saved").textContent = error ? "NOT SAVED: " + error.message : unanswered.size ? "saving…" : "saved";
}
function keepUnanswered() {
  // The server's view is older than a save still on its way: the marker's last keys and words stay shown and sent.
  for (const [index, save] of unanswered) { Object.assign(state.groups[index], {items: save.items, comment: save.comment}); }
}
function answered(index, number) {
  if (unanswered.get(index).number === number) { unanswered.delete(index); }
}
function save(items) {
  // Shown at once, sent in order: a key pressed before the last answer came back builds on it.
  const g = group(), number = ++sent;
  g.items = items;
  const body = {index: g.index, items: items, comment: document.getElementById("comment").value};
  g.comment = body.comment;
  unanswered.set(g.index, {number: number, items: items, comment: body.comment});
  showSaved();
  render();
  queue = queue.then(() => call("/api/mark", body)).then(updated => {
    answered(updated.index, number);
    state.groups[updated.index] = updated;
    keepUnanswered();
    showSaved();
    render();
  }, error => { answered(body.index, number); showSaved(error); });
  return queue;
}
function changePoints(key, points) {
  queue = queue.then(() => call("/api/points", {key: key, points: points})).then(data => {
    state = data;
    keepUnanswered();
    render();
  }, showSaved);
  return queue;
}
function toggle(key) {
  const items = group().items.includes(key) ? group().items.filter(k => k !== key) : [...group().items, key];
  return save(items);
}
function move(step) {
  current = Math.min(Math.max(current + step, 0), state.groups.length - 1);
  document.getElementById("saved").textContent = "";
  render();
}
document.getElementById("comment").addEventListener("change", () => save(group().items));
document.addEventListener("keydown", event => {
  const comment = document.getElementById("comment");
  if (document.activeElement === comment) { if (event.key === "Escape") { comment.blur(); } return; }
  if (event.target.tagName === "INPUT" || !state || !state.groups.length) { return; }
  if (event.key === "n" || event.key === "ArrowRight") { move(1); }
  else if (event.key === "p" || event.key === "ArrowLeft") { move(-1); }
  else if (event.key === "c") { event.preventDefault(); comment.focus(); }
  else if (event.key === "Enter") { save(group().items); }
  else if (state.rubric.some(item => item.key === event.key)) { toggle(event.key); }
});
call("/api/state").then(data => { state = data; render(); });
</script></body></html>
"""
