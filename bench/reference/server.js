// Reference live-game server on Node.js socket.io, for bench/fanout.py.
//
// It speaks the subset of the hub's live-game protocol (docs/games.md) that
// the benchmark drives, and does the same work per message:
//   /play        connect with auth {token}: the player joins the game room and
//                gets "state"; "answer" {i, c, id} is acknowledged with the
//                player's own score and rank {ok, i, ms, sc, rk, gap, n}.
//   /host        "watch" {g}; "next" {g} broadcasts "q" (stamped with the
//                server's time) once to each audience's game room.
//   /gamescreen  "watch" {g}; gets "live" counters at most every 250 ms and,
//                when the last answer arrives, "rv" with the top 5; each
//                player then gets its own "rv" result.
//   POST /play/join {code, nickname, lang} → 201 {ok, token, player, game}: a
//                phone joins over HTTP first, as on the hub; the token is
//                then the /play auth.
//   GET <file>   with a site folder (argv[3], bench/fanout.py's snapshot of
//                the hub's play page and every file it references): each
//                file from memory, gzipped once at start when the phone
//                accepts it, with the hub's Cache-Control, an ETag and 304
//                on revalidation. The page /play ignores its query string.
// Loopback only: it binds 127.0.0.1.
"use strict";

const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || 3001);
const PUSH_DELAY_MS = 250;
const TIME_LIMIT_MS = 20000;

const crypto = require("crypto");
const GAME_CODE = "123456";
const MAX_PLAYERS = 10000;
const NICK_WORDS = ["Mèo", "Cá Heo", "Sao Băng", "Gấu", "Cú", "Rồng", "Sóc", "Hổ"];
const joined = new Map(); // token -> {num, nickname}
const game = { id: 1, players: new Map(), idx: -1, open: false, answers: new Map(), pending: false,
               openedAt: 0, nextNum: 1 };

function ranked() {
  return [...game.players.values()].sort((a, b) => b.score - a.score || a.reachedAt - b.reachedAt || a.num - b.num);
}

function standing(player, order) {
  const rk = order.indexOf(player) + 1;
  const ahead = rk > 1 ? order[rk - 2] : null;
  return { sc: player.score, rk, gap: ahead ? ahead.score - player.score : 0, n: order.length, stk: player.streak };
}

function liveCounts() {
  const names = [...game.players.values()].slice(-40).map((p) => ({ no: p.num, nm: p.nickname }));
  return { g: game.id, st: game.open ? "question" : "reveal", np: game.players.size, a: game.answers.size, names };
}

function poke() {
  if (game.pending) return;
  game.pending = true;
  setTimeout(() => {
    game.pending = false;
    const payload = liveCounts();
    io.of("/gamescreen").to("g:1").emit("live", payload);
    io.of("/host").to("g:1").emit("live", payload);
  }, PUSH_DELAY_MS);
}

function closeQuestion() {
  game.open = false;
  for (const [player, a] of game.answers) {
    if (a.correct) { player.score += a.points; player.streak += 1; player.reachedAt = a.at; } else player.streak = 0;
  }
  const order = ranked();
  const spread = [0, 0, 0, 0];
  for (const a of game.answers.values()) spread[a.choice] += 1;
  const top = order.slice(0, 5).map((p, i) => ({ rank: i + 1, name: p.nickname, score: p.score }));
  const screen = { g: game.id, i: game.idx, c: [0], sp: spread, a: game.answers.size, n: order.length, top, sk: 0,
                   ex: { vi: "Đừng gửi ảnh cho người lạ.", en: "Never send photos to strangers." } };
  io.of("/gamescreen").to("g:1").emit("rv", screen);
  io.of("/host").to("g:1").emit("rv", screen);
  order.forEach((p) => {
    const a = game.answers.get(p);
    io.of("/play").to(p.sid).emit("rv", { i: game.idx, c: [0], sk: 0, ok: a ? a.correct : null,
                                          pts: a ? a.points : 0, ...standing(p, order) });
  });
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function join(req, res) {
  let raw = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => { raw += chunk; if (raw.length > 4096) req.destroy(); });
  req.on("end", () => {
    let data;
    try { data = JSON.parse(raw); } catch (e) { reply(res, 400, { ok: false, error: { code: "bad_request" } }); return; }
    if (!data || data.code !== GAME_CODE) { reply(res, 404, { ok: false, error: { code: "unknown_code" } }); return; }
    if (joined.size >= MAX_PLAYERS) { reply(res, 409, { ok: false, error: { code: "game_full" } }); return; }
    const num = game.nextNum++;
    const nickname = NICK_WORDS[crypto.randomInt(NICK_WORDS.length)] + " " + crypto.randomInt(1000);
    const token = crypto.randomBytes(18).toString("base64url");
    joined.set(token, { num, nickname });
    reply(res, 201, { ok: true, token, player: { id: num, no: num, nick: nickname },
                      game: { id: game.id, title: "Reference", code: GAME_CODE } });
  });
}

const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const files = new Map(); // path -> {body, gzip, type, cacheControl, etag}
if (process.argv[3]) {
  const folder = process.argv[3];
  for (const entry of JSON.parse(fs.readFileSync(path.join(folder, "site.json"), "utf8"))) {
    const body = fs.readFileSync(path.join(folder, entry.file));
    const compressible = /^(text\/|application\/(javascript|json)|image\/svg)/.test(entry.type);
    files.set(entry.path, { body, gzip: compressible ? zlib.gzipSync(body, { level: 9 }) : null, type: entry.type,
                            cacheControl: entry.cache_control,
                            etag: '"' + crypto.createHash("sha1").update(body).digest("base64url") + '"' });
  }
}

function serveFile(req, res, file) {
  const headers = { "Content-Type": file.type, ETag: file.etag };
  if (file.cacheControl) headers["Cache-Control"] = file.cacheControl;
  if (req.headers["if-none-match"] === file.etag) { res.writeHead(304, headers); res.end(); return; }
  let body = file.body;
  if (file.gzip && /\bgzip\b/.test(req.headers["accept-encoding"] || "")) {
    body = file.gzip;
    headers["Content-Encoding"] = "gzip";
    headers.Vary = "Accept-Encoding";
  }
  headers["Content-Length"] = body.length;
  res.writeHead(200, headers);
  res.end(body);
}

const httpServer = http.createServer((req, res) => {
  if (req.url === "/healthz") { res.end("ok"); return; }
  if (req.method === "POST" && req.url === "/play/join") { join(req, res); return; }
  const file = req.method === "GET" && files.get(req.url.split("?")[0]);
  if (file) { serveFile(req, res, file); return; }
  res.statusCode = 404;
  res.end();
});

const io = new Server(httpServer, { perMessageDeflate: false, transports: ["websocket"],
                                    maxHttpBufferSize: 64 * 1024 });

io.of("/play").on("connection", (socket) => {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  if (typeof token !== "string") { socket.disconnect(true); return; }
  const known = joined.get(token);
  const player = { sid: socket.id, num: known ? known.num : game.nextNum++,
                   nickname: known ? known.nickname : "Player " + token.slice(-4), score: 0,
                   streak: 0, reachedAt: 0 };
  game.players.set(socket.id, player);
  socket.join("g:1");
  socket.emit("state", { g: game.id, st: game.open ? "question" : "lobby", i: game.idx, n: 30,
                         me: { no: player.num, nick: player.nickname }, now: Date.now(),
                         ...standing(player, ranked()) });
  poke();
  socket.on("answer", (data, ack) => {
    if (typeof ack !== "function") return;
    if (!data || typeof data !== "object" || !Array.isArray(data.c) || typeof data.id !== "string") {
      ack({ ok: false, error: { code: "bad_answer" } });
      return;
    }
    if (!game.open || data.i !== game.idx) { ack({ ok: false, error: { code: "too_late" } }); return; }
    if (game.answers.has(player)) { ack({ ok: false, error: { code: "already_answered" } }); return; }
    const ms = Math.min(TIME_LIMIT_MS, Date.now() - game.openedAt);
    const correct = data.c.length === 1 && data.c[0] === 0;
    game.answers.set(player, { choice: Math.min(3, Math.max(0, data.c[0] | 0)), correct, at: Date.now(),
                               points: correct ? Math.round(1000 - 500 * ms / TIME_LIMIT_MS) : 0 });
    const reply = { ok: true, i: game.idx, ms, re: 0, ...standing(player, ranked()) };
    if (game.answers.size >= game.players.size) closeQuestion(); else poke();
    ack(reply);
  });
  socket.on("disconnect", () => { game.players.delete(socket.id); });
});

function watchable(nsp, extra) {
  io.of(nsp).on("connection", (socket) => {
    socket.on("watch", (data, ack) => {
      socket.join("g:1");
      if (typeof ack === "function") ack({ ok: true, st: game.open ? "question" : "lobby", ...liveCounts() });
    });
    if (extra) extra(socket);
  });
}

watchable("/gamescreen");
watchable("/host", (socket) => {
  socket.on("next", (data, ack) => {
    game.idx += 1;
    game.open = true;
    game.answers = new Map();
    game.openedAt = Date.now();
    const q = { g: game.id, i: game.idx, n: 30, m: 0, lim: TIME_LIMIT_MS, dl: game.openedAt + TIME_LIMIT_MS,
                p: { vi: "Một người lạ trên mạng xin ảnh của em. Em nên làm gì?",
                     en: "A stranger online asks for your photo. What should you do?" },
                o: [{ vi: "Từ chối và kể với người lớn", en: "Say no and tell an adult" },
                    { vi: "Gửi ảnh", en: "Send it" }, { vi: "Im lặng", en: "Stay silent" },
                    { vi: "Hỏi bạn bè", en: "Ask friends" }],
                now: Date.now() };
    for (const nsp of ["/play", "/gamescreen", "/host"]) io.of(nsp).to("g:1").emit("q", q);
    poke();
    if (typeof ack === "function") ack({ ok: true, st: "question" });
  });
});

httpServer.listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
