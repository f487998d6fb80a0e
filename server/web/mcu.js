// mcu.js: join an mcu room from a browser, and the room's REST API.
//
// Standard APIs only (RTCPeerConnection, fetch), no dependencies, so a page
// on any origin can import it straight from the server:
//
//   import { join } from "http://127.0.0.1:8080/mcu.js";
//   const session = await join({ server: "http://127.0.0.1:8080", room: "demo", name: "Ada", stream });
//   video.srcObject = session.remoteStream;
//   ...
//   await session.leave();
//
// A server started with -auth-token wants its token on joins and on the
// room API (not on leaving): pass it as token to each call,
//
//   await join({ server, room: "demo", name: "Ada", stream, token: "the server's token" });
//   await startRecording({ server, room: "demo", token: "the server's token" });
//
// The server sends one mixed picture (everyone, yourself included) and one
// audio mix (everyone but yourself). It does not trickle ICE: the offer is
// sent once ICE gathering is complete, and the answer holds all candidates.
// When the connection drops (a phone leaving Wi-Fi), the session restarts
// its ICE through the server by itself (session.restartIce), keeping its
// place in the room.

/** Room names the server accepts. */
export const ROOM_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

/** How long join waits for ICE gathering before sending what it has. */
export const DEFAULT_GATHER_TIMEOUT_MS = 5000;

/** How long join waits for the server's answer (the server itself gives up after 15 s). */
export const DEFAULT_JOIN_TIMEOUT_MS = 20000;

/** How long the room API's calls wait for an answer; stopping a recording, which finalizes its file, waits longer. */
export const DEFAULT_CALL_TIMEOUT_MS = 10000;
const STOP_RECORDING_TIMEOUT_MS = 60000;

// timeoutSignal aborts after ms: AbortSignal.timeout, or where it is
// missing (Safari and iOS before 16, Chrome before 103) its equivalent.
function timeoutSignal(ms) {
  if (AbortSignal.timeout) {
    return AbortSignal.timeout(ms);
  }
  const c = new AbortController();
  setTimeout(() => c.abort(new DOMException("The operation timed out.", "TimeoutError")), ms);
  return c.signal;
}

// withTimeout is signal (if any) or a timeout of ms, whichever aborts first.
function withTimeout(signal, ms) {
  const timeout = timeoutSignal(ms);
  if (!signal) {
    return timeout;
  }
  if (AbortSignal.any) {
    return AbortSignal.any([signal, timeout]);
  }
  // Browsers before AbortSignal.any (Safari 17.3, Firefox 123).
  // Each listener goes when either aborts: a page's long-lived signal
  // does not keep one per call.
  const either = new AbortController();
  const sources = [signal, timeout];
  const onAbort = (e) => {
    either.abort(e.target.reason);
    sources.forEach((s) => s.removeEventListener("abort", onAbort));
  };
  for (const s of sources) {
    if (s.aborted) {
      either.abort(s.reason);
      sources.forEach((t) => t.removeEventListener("abort", onAbort));
      break;
    }
    s.addEventListener("abort", onAbort);
  }
  return either.signal;
}

// untilAborted resolves with promise, or rejects once signal (if any) aborts.
function untilAborted(promise, signal, error) {
  if (!signal) {
    return promise;
  }
  return new Promise((resolve, reject) => {
    const abort = () => reject(error());
    if (signal.aborted) {
      abort();
      return;
    }
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

/** An error from the server (status > 0) or from checks made before asking it (status 0). */
export class McuError extends Error {
  constructor(status, message, detail = "", body = null) {
    super(message);
    this.name = "McuError";
    this.status = status;
    this.detail = detail; // the server's own words, when it gave any
    this.body = body; // the server's JSON answer, when it gave one
    this.retryAfter = null; // seconds, when a busy server (429, 503) said when to try again
  }
}

// What each error status means for someone using the API; the server's
// message is added after it.
const STATUS_TEXT = {
  400: "The server could not use the request",
  401: "The server needs a token",
  403: "The room token does not allow this here",
  404: "No such room or session (it may have closed)",
  410: "The room's moderator removed you from the room",
  409: "Not possible in the room's current state",
  413: "The request is too large for the server",
  415: "The server does not accept this kind of request body",
  423: "The room is locked: no one new may join it",
  429: "The room is full",
  503: "The server is busy or shutting down",
  507: "The recording disk is nearly full",
};

/**
 * Turns a failed response into an McuError whose message says what went
 * wrong, using the JSON body's "error" (or the text body) when there is one.
 */
export async function errorFromResponse(res, what) {
  let detail = "";
  let body = null;
  try {
    const text = (await res.text()).trim();
    if (/html/i.test(res.headers.get("Content-Type") ?? "") || /^<(!doctype|html)/i.test(text)) {
      // A proxy's error page (nginx's 502): its title alone, not its markup.
      detail = (/<title>([^<]*)<\/title>/i.exec(text)?.[1] ?? "").trim().replace(/^\d{3}\s*/, "");
    } else try {
      body = JSON.parse(text);
      // A string, or a gateway's {"error": {"code", "message"}}.
      const e = body?.error?.message ?? body?.error;
      detail = typeof e === "string" ? e : text;
    } catch {
      detail = text;
    }
  } catch {
    // no body to read
  }
  const meaning = STATUS_TEXT[res.status] ?? `HTTP ${res.status}`;
  // The server's words go after ours, unless they only repeat them (or
  // begin by repeating them: then the rest goes after ours).
  let extra = detail && !meaning.toLowerCase().includes(detail.toLowerCase()) ? `: ${detail}` : "";
  if (extra && detail.toLowerCase().startsWith(meaning.toLowerCase()) && /^(\W|$)/.test(detail.slice(meaning.length))) {
    extra = detail.slice(meaning.length).replace(/^[\s:;,.-]+/, "");
    extra = extra ? `: ${extra}` : "";
  }
  let message = `${what}: ${meaning}${extra}.`;
  // A busy server says when to try again (seconds; an HTTP date is left).
  const retry = res.status === 503 || res.status === 429 ? res.headers.get("Retry-After") : null;
  let retryAfter = null;
  if (retry && /^\d+$/.test(retry.trim())) {
    retryAfter = Number(retry);
    if (res.status === 503) {
      message += ` Try again in ${retryAfter} s.`;
    }
  }
  const err = new McuError(res.status, message, detail, body);
  err.retryAfter = retryAfter;
  return err;
}

/** The server's base URL without a trailing slash ("" means this page's origin). */
function base(server) {
  return (server ?? "").replace(/\/+$/, "");
}

/**
 * The absolute URL of a session from the join's Location. The server gives
 * its own path (/rooms/R/sessions/K); a server reached under a path of a
 * reverse proxy (https://host/mcu) has it under that path, unless the
 * proxy already put it there.
 */
function sessionLocation(location, joinURL, server, room) {
  const page = globalThis.location?.href;
  const joined = new URL(joinURL, page);
  if (location.startsWith("/") && !location.startsWith("//")) {
    const prefix = new URL(base(server) || joined.origin, page).pathname.replace(/\/+$/, "");
    // Told apart by the whole of the server's form (/rooms/ROOM/sessions/),
    // not by "/rooms/" alone: under a prefix that ends in /rooms, a room
    // named "rooms" has the server's own Location begin with the prefix.
    if (prefix && !location.startsWith(`${prefix}/rooms/${encodeURIComponent(room)}/sessions/`)) {
      return new URL(prefix + location, joined).href;
    }
  }
  return new URL(location, joined).href;
}

/**
 * Throws an McuError unless token is "" (none) or a token the server can
 * take: printable ASCII without spaces (what mcu's -auth-token allows).
 */
export function checkToken(token) {
  if (token === "" || token === undefined || token === null) {
    return;
  }
  if (typeof token !== "string" || !/^[\x21-\x7e]+$/.test(token)) {
    throw new McuError(0, "Tokens are printable ASCII characters (letters, digits, punctuation), without spaces.");
  }
}

// authorization is the headers that carry token as
// "Authorization: Bearer <token>"; none for no token (checkToken).
function authorization(token) {
  checkToken(token);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// failure is the McuError of a failed response to a request that carried
// auth (the headers of authorization). A 401 says, in a person's words,
// that the server needs a token, or, to a request that had one, that it
// refused that one.
async function failure(res, what, auth) {
  const err = await errorFromResponse(res, what);
  if (res.status === 401) {
    // A room token's reason (expired, not yet valid, signature) is told.
    const why = /^roomtoken: invalid token: (.+)$/.exec(err.detail)?.[1];
    err.message = auth.Authorization
      ? `${what}: The server refused the token given (it needs another)${why ? `: ${why}` : ""}.`
      : `${what}: The server needs a token.`;
  }
  return err;
}

function checkRoom(room) {
  if (!ROOM_NAME.test(room ?? "")) {
    throw new McuError(0, "Room names are 1 to 64 letters, digits, '-' or '_', not starting with '-'.");
  }
}

/**
 * Resolves when ICE gathering is complete, or after timeoutMs, whichever is
 * first. With anew, a gathering complete now does not count: for one that
 * a description about to be set (an ICE restart's) starts.
 */
export function waitForGathering(pc, timeoutMs = DEFAULT_GATHER_TIMEOUT_MS, anew = false) {
  if (pc.iceGatheringState === "complete" && !anew) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", onState);
      pc.removeEventListener("icecandidate", onCandidate);
      resolve();
    };
    const onState = () => pc.iceGatheringState === "complete" && done();
    const onCandidate = (e) => e.candidate === null && done(); // end of candidates
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener("icegatheringstatechange", onState);
    pc.addEventListener("icecandidate", onCandidate);
  });
}

/**
 * Resolves when the connection is up; rejects if it fails or closes, after
 * timeoutMs, or when signal aborts (closing pc fires no state change, so
 * whoever closes it says so through signal).
 */
export function waitForConnection(pc, timeoutMs = 10000, signal = null) {
  return new Promise((resolve, reject) => {
    const check = () => {
      switch (pc.connectionState) {
        case "connected":
          finish();
          resolve();
          break;
        case "failed":
        case "closed":
          finish();
          reject(new McuError(0, `The connection to the server ${pc.connectionState}.`));
          break;
      }
    };
    const abort = () => {
      finish();
      reject(new McuError(0, "Left before the connection was up."));
    };
    const finish = () => {
      clearTimeout(timer);
      pc.removeEventListener("connectionstatechange", check);
      signal?.removeEventListener("abort", abort);
    };
    const timer = setTimeout(() => {
      finish();
      reject(new McuError(0, `No connection to the server after ${timeoutMs / 1000} s (state ${pc.connectionState}).`));
    }, timeoutMs);
    pc.addEventListener("connectionstatechange", check);
    signal?.addEventListener("abort", abort);
    check();
    if (signal?.aborted) {
      abort();
    }
  });
}

/** How long a connection stays "disconnected" before the session restarts its ICE. */
export const ICE_RESTART_AFTER_MS = 2000;
const ICE_RESTART_TIMEOUT_MS = 15000;

// iceFragment is the SDP fragment (RFC 8840) of a description's ICE: its
// credentials, and its first media section's line, mid and candidates
// (the media is bundled on them).
function iceFragment(sdp) {
  const lines = sdp.split(/\r?\n/);
  const first = (prefix) => lines.find((l) => l.startsWith(prefix));
  const start = lines.findIndex((l) => l.startsWith("m="));
  let end = lines.findIndex((l, i) => i > start && l.startsWith("m="));
  end = end < 0 ? lines.length : end;
  const section = lines.slice(start, end);
  return [
    first("a=ice-ufrag:"),
    first("a=ice-pwd:"),
    lines[start],
    section.find((l) => l.startsWith("a=mid:")),
    ...section.filter((l) => l.startsWith("a=candidate:")),
    "a=end-of-candidates",
    "",
  ].join("\r\n");
}

// withFragment is the description sdp with the ICE credentials of the
// server's fragment in place of its own, and the fragment's candidates in
// place of its own, in its first media section.
function withFragment(sdp, fragment) {
  const frag = fragment.split(/\r?\n/);
  const value = (prefix) => frag.find((l) => l.startsWith(prefix));
  const ufrag = value("a=ice-ufrag:");
  const pwd = value("a=ice-pwd:");
  if (!ufrag || !pwd) {
    throw new McuError(0, "The server's ICE restart answer has no ICE credentials.");
  }
  const candidates = frag.filter((l) => l.startsWith("a=candidate:"));
  const out = [];
  let sections = 0;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith("m=") && sections++ === 1) {
      out.push(...candidates, "a=end-of-candidates"); // the end of the first section
    }
    if (line.startsWith("a=candidate:") || line === "a=end-of-candidates" || line === "") {
      continue;
    }
    out.push(line.startsWith("a=ice-ufrag:") ? ufrag : line.startsWith("a=ice-pwd:") ? pwd : line.startsWith("o=") ? newerVersion(line) : line);
  }
  if (sections < 2) {
    out.push(...candidates, "a=end-of-candidates");
  }
  return out.join("\r\n") + "\r\n";
}

// newerVersion is an SDP origin line (o=) with its session version one
// up, as a changed description has it (versions may pass 2^53: BigInt).
function newerVersion(origin) {
  const f = origin.split(" ");
  try {
    f[2] = (BigInt(f[2]) + 1n).toString();
  } catch {
    return origin; // not a number: left as it is
  }
  return f.join(" ");
}

/** How long after a failed ICE restart the next is tried, while the connection stays down. */
export const ICE_RETRY_MS = 2000;

// How many times a restart the server refused for its rate (429) is sent
// again, after the Retry-After it gave.
const ICE_RESTART_RETRIES = 3;

// iceRestarter restarts the session's ICE (RFC 9725 4.3): a new offer's
// credentials and candidates go to the server in a PATCH with If-Match *,
// and the server's fragment replaces its own in the answer the page holds.
// watch, on the connection's ICE state changes, restarts it when ICE has
// failed, or stayed disconnected for ICE_RESTART_AFTER_MS, and tries again
// every ICE_RETRY_MS while it stays so (the new network may not be up
// yet), until the server says the session is gone (404: it gives a
// silent peer up after its -peer-timeout, 15 s by default).
function iceRestarter(pc, sessionURL, gatherTimeoutMs) {
  let running = null;
  let gone;
  const over = new Promise((resolve) => (gone = resolve));
  let timer = null;
  let stopped = false;
  // halt aborts at stop: a restart under way when the session is left
  // ends then (its gathering on a closed pc would wait out
  // gatherTimeoutMs, and its PATCH follow the leave's DELETE).
  const halt = new AbortController();
  const ended = () => new McuError(0, "The session has ended.");
  const attempt = async () => {
    try {
      // Every wait on pc is cut by the halt: a pc closed by the leave
      // while an operation is queued settles none of its promises.
      const offer = await untilAborted(pc.createOffer({ iceRestart: true }), halt.signal, ended);
      const gathered = waitForGathering(pc, gatherTimeoutMs, true); // the restart's own
      await untilAborted(pc.setLocalDescription(offer), halt.signal, ended);
      await untilAborted(gathered, halt.signal, ended);
      let res;
      for (let refused = 0; ; refused++) {
        if (stopped) {
          throw ended();
        }
        try {
          res = await fetch(sessionURL, {
            method: "PATCH",
            headers: { "Content-Type": "application/trickle-ice-sdpfrag", "If-Match": "*" },
            body: iceFragment(pc.localDescription.sdp),
            signal: timeoutSignal(ICE_RESTART_TIMEOUT_MS),
          });
        } catch (err) {
          throw new McuError(0, `ICE restart: the server did not answer (${err.message}).`);
        }
        // 429: the session restarted more often than the server allows
        // (4 at once, then 1 a second); it says when to try again, and
        // the offer waits for it.
        const wait = Number(res.headers.get("Retry-After") ?? "1");
        if (res.status !== 429 || refused >= ICE_RESTART_RETRIES || stopped || !(wait >= 0 && wait <= 5)) {
          break;
        }
        await res.body?.cancel().catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
        if (stopped) {
          throw ended();
        }
      }
      if (res.status !== 200) {
        const err = await errorFromResponse(res, "ICE restart failed");
        if (res.status === 429) {
          // Not the join's 429 (a full room): too many restarts.
          err.message = `ICE restart failed: the server takes no more ICE restarts of this session for now${err.retryAfter !== null ? `; try again in ${err.retryAfter} s` : ""}.`;
        } else if (res.status === 404 || res.status === 410) {
          gone({ removed: res.status === 410 });
        }
        throw err;
      }
      const fragment = await res.text();
      await untilAborted(pc.setRemoteDescription({ type: "answer", sdp: withFragment(pc.remoteDescription.sdp, fragment) }), halt.signal, ended);
      return res.headers.get("ETag");
    } catch (err) {
      if (!stopped && pc.signalingState === "have-local-offer") {
        // Free to offer again. (A pc closed meanwhile settles none of its
        // promises: the leave's halt ends the wait.)
        await untilAborted(pc.setLocalDescription({ type: "rollback" }), halt.signal, ended).catch(() => {});
      }
      throw err;
    } finally {
      running = null;
    }
  };
  const self = {
    ended: over,
    restart() {
      if (stopped) {
        return Promise.reject(ended());
      }
      running ??= attempt();
      return running;
    },
    watch() {
      clearTimeout(timer);
      const state = pc.iceConnectionState;
      if (stopped || (state !== "failed" && state !== "disconnected")) {
        return;
      }
      const later = () => {
        if (stopped || !["failed", "disconnected"].includes(pc.iceConnectionState)) {
          return;
        }
        self.restart().then(
          () => {
            // Taken: if ICE stays down on the new candidates (no state
            // change to wake watch), try again.
            if (!stopped) {
              clearTimeout(timer);
              timer = setTimeout(later, ICE_RESTART_AFTER_MS);
            }
          },
          (err) => {
            if (err.status === 404 || err.status === 410) {
              stopped = true; // the session is over: ended tells the page
            } else if (!stopped) {
              // No sooner than a busy server (429, 503) said.
              clearTimeout(timer);
              timer = setTimeout(later, Math.max(ICE_RETRY_MS, Math.min((err.retryAfter ?? 0) * 1000, 30000)));
            }
          },
        );
      };
      if (state === "failed") {
        later();
      } else {
        timer = setTimeout(later, ICE_RESTART_AFTER_MS);
      }
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      halt.abort();
    },
  };
  return self;
}

/**
 * videoCodecs returns the codec preferences for a join's videoCodec: null
 * for the default, or the browser's H.264 formats the server can send the
 * mix in (packetization mode 1).
 */
function videoCodecs(videoCodec) {
  if (!videoCodec) {
    return null;
  }
  if (!["h264", "h.264"].includes(String(videoCodec).toLowerCase())) {
    throw new McuError(0, `Unknown video codec "${videoCodec}": "h264" or none.`);
  }
  const caps = globalThis.RTCRtpReceiver?.getCapabilities?.("video")?.codecs ?? [];
  const h264 = caps.filter((c) => c.mimeType.toLowerCase() === "video/h264" && /packetization-mode=1/.test(c.sdpFmtpLine ?? ""));
  if (h264.length === 0 || !globalThis.RTCRtpTransceiver?.prototype.setCodecPreferences) {
    throw new McuError(0, "This browser cannot receive H.264 video in a form the server sends.");
  }
  return h264;
}

/**
 * Joins a room. stream is the local camera and microphone (either may be
 * missing, and given later with session.setTrack). Returns a session:
 *
 *   pc            the RTCPeerConnection
 *   location      absolute URL of the session (DELETE it to leave)
 *   remoteStream  a MediaStream with the mixed video and audio
 *   connected     a promise that resolves when the media connection is up
 *                 (and rejects if it fails, or on leave() before that)
 *   leave()       leaves (DELETE), closes pc; safe to call twice
 *   setTrack(kind, track)  sends track ("audio" or "video"; null: nothing)
 *                 in place of the one of its kind, also one missing at
 *                 the join (turned on later), without renegotiating
 *   restartIce()  restarts ICE through the server (done by itself when the
 *                 connection drops); resolves to the session's new ETag
 *   ended         a promise that resolves when an ICE restart learns the
 *                 server no longer has the session (404: it gave it up,
 *                 or restarted): join again to come back; to
 *                 { removed: true } when the room's moderator removed it
 *                 (410)
 *   room()        reads the room (as roomInfo) with the session's URL for
 *                 credential: still once a room token joined with expired
 *
 * signal (an AbortSignal) cancels the join until it returns; a browser that
 * does not make its offer, or a server that does not answer, within
 * joinTimeoutMs is given up. token, if a non-empty
 * string, is sent as "Authorization: Bearer <token>" (for a server started
 * with -auth-token; leaving needs none).
 *
 * videoCodec "h264" has the mix come in H.264 (which a phone may decode
 * in hardware; the server encodes it for such receivers only): the mix is
 * received on a video section that offers H.264 alone, and the camera is
 * sent on another, in whatever the browser sends. The default receives
 * the mix in VP8, on the camera's section.
 *
 * rtcConfig is the RTCPeerConnection's configuration: iceServers with a
 * TURN server of the page's own, for people whose network lets no UDP
 * through (the server's answer names only its STUN servers in Link
 * headers, never its TURN servers, whose credentials are its own).
 *
 * Throws an McuError saying what went wrong; pc is closed then.
 */
export function join(options) {
  return connect(options);
}

/**
 * Shares a screen (or slides: any video track) in a room, as a WHIP
 * publish with content=1: the server shows it large in the speaker layout
 * (to which a room in the grid goes for as long as a share lasts), fitted
 * whole into its tile. Takes join's options (stream: what getDisplayMedia
 * gave, its video and, when there is one, its sound, a tab's; videoCodec
 * is not used) and owner: the session join returned for the person
 * sharing, so that they do not hear the share's sound come back from the
 * server, and the share ends when they leave. Returns a session as join
 * does, which sends and receives nothing (remoteStream stays empty).
 * session.leave() stops the share; the page stops the tracks.
 */
export function share({ owner = null, ...options }) {
  return connect({ ...options, videoCodec: "" }, { owner });
}

// connect is join, or with content ({ owner }), share.
async function connect({
  server = "",
  room,
  name = "",
  stream = null,
  signal = null,
  gatherTimeoutMs = DEFAULT_GATHER_TIMEOUT_MS,
  joinTimeoutMs = DEFAULT_JOIN_TIMEOUT_MS,
  connectTimeoutMs = 10000,
  token = "",
  videoCodec = "",
  rtcConfig = undefined,
}, content = null) {
  checkRoom(room);
  const auth = authorization(token);
  const codecs = videoCodecs(videoCodec);
  const cancelled = () => new McuError(0, "Join cancelled.");
  if (signal?.aborted) {
    throw cancelled();
  }
  const pc = new RTCPeerConnection(rtcConfig);
  try {
    const remoteStream = new MediaStream();
    pc.addEventListener("track", (e) => remoteStream.addTrack(e.track));
    // The sender of each kind: a camera or microphone missing at the join
    // is negotiated all the same (nothing is sent until there is a
    // track), so that one turned on later goes out by replaceTrack
    // (session.setTrack), without a new offer the server would not take.
    const senders = {};
    const streams = stream ? [stream] : [];
    // A share sends its sound only when it has some (a tab's).
    const kinds = content && !stream?.getAudioTracks().length ? ["video"] : ["audio", "video"];
    for (const kind of kinds) {
      const track = stream?.getTracks().find((t) => t.kind === kind);
      if (kind === "video" && codecs) {
        // The mix on a section of its own, H.264 alone; the camera on
        // another, in whatever the browser sends (it may decode H.264
        // and not encode it).
        senders.video = pc.addTransceiver(track ?? "video", { direction: "sendonly", streams }).sender;
        const mix = pc.addTransceiver("video", { direction: "recvonly" });
        try {
          mix.setCodecPreferences(codecs);
        } catch (err) {
          throw new McuError(0, `This browser cannot take the mix in H.264: ${err.message}.`);
        }
      } else {
        senders[kind] = pc.addTransceiver(track ?? kind, { direction: content ? "sendonly" : "sendrecv", streams }).sender;
      }
    }
    // Bounded like the rest of the join: a browser may leave these
    // unsettled (a closed peer connection settles nothing, and a join
    // right after a leave was once seen to wait on them for good).
    const preparing = withTimeout(signal, joinTimeoutMs);
    const unprepared = () => (signal?.aborted ? cancelled() : new McuError(0, `The browser did not make its offer within ${joinTimeoutMs / 1000} s.`));
    await untilAborted(
      pc.createOffer().then((offer) => pc.setLocalDescription(offer)),
      preparing,
      unprepared,
    );
    await untilAborted(waitForGathering(pc, gatherTimeoutMs), signal, cancelled);

    // A share names its owner by their session's key, the last part of
    // its URL: the proof that it is theirs.
    const owner = content?.owner?.location ? `&owner=${encodeURIComponent(content.owner.location.split("/").pop())}` : "";
    const url = content
      ? `${base(server)}/whip/${encodeURIComponent(room)}?name=${encodeURIComponent(name ?? "")}&content=1${owner}`
      : `${base(server)}/rooms/${encodeURIComponent(room)}/join?name=${encodeURIComponent(name ?? "")}`;
    const where = base(server) || globalThis.location?.origin;
    let res;
    const within = withTimeout(signal, joinTimeoutMs);
    try {
      res = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/sdp", ...auth },
        body: pc.localDescription.sdp,
        signal: within,
      });
    } catch (err) {
      if (signal?.aborted) {
        throw cancelled();
      }
      // Told by the signal, not the error: browsers before abort reasons
      // (Safari and iOS 15.0-15.3) reject with a plain AbortError.
      if (within.aborted || err.name === "TimeoutError") {
        throw new McuError(0, `The server at ${where} did not answer the join within ${joinTimeoutMs / 1000} s.`);
      }
      throw new McuError(0, `Cannot reach the server at ${where}: ${err.message}.`);
    }
    if (res.status !== 201) {
      throw await failure(res, "Join failed", auth);
    }
    const location = res.headers.get("Location");
    if (!location) {
      throw new McuError(res.status, "The server's answer has no readable Location header (is Access-Control-Expose-Headers set?).");
    }
    const sessionURL = sessionLocation(location, url, server, room);
    // The server made the session: a join given up from here on (the
    // page closed: pagehide aborts the signal, and nothing the page would
    // do after that runs) ends it at once, in the abort's own event, or
    // its tile stays until the server's ICE timeouts.
    const drop = () => fetch(sessionURL, { method: "DELETE", keepalive: true }).catch(() => {});
    if (signal?.aborted) {
      drop(); // given up while the answer's headers came in
    } else {
      signal?.addEventListener("abort", drop, { once: true });
    }
    try {
      await untilAborted(res.text().then((sdp) => pc.setRemoteDescription({ type: "answer", sdp })), signal, cancelled);
      if (signal?.aborted) {
        throw cancelled();
      }
    } catch (err) {
      if (!signal?.aborted) {
        leave(pc, sessionURL).catch(() => {});
      }
      throw signal?.aborted ? cancelled() : err;
    } finally {
      signal?.removeEventListener("abort", drop);
    }

    let leaving = null;
    const left = new AbortController();
    const connected = waitForConnection(pc, connectTimeoutMs, left.signal);
    connected.catch(() => {}); // callers that never await it get no unhandled rejection
    const ice = iceRestarter(pc, sessionURL, gatherTimeoutMs);
    pc.addEventListener("iceconnectionstatechange", () => ice.watch());
    return {
      pc,
      location: sessionURL,
      remoteStream,
      connected,
      restartIce: () => ice.restart(),
      // setTrack sends track (a camera or microphone turned on, or
      // another one) in place of what is sent of its kind, or, with
      // null, stops sending kind ("audio" or "video").
      // A share without sound sends none: asked to, it says so.
      setTrack: (kind, track) =>
        senders[kind] ? senders[kind].replaceTrack(track) : Promise.reject(new McuError(0, `This session sends no ${kind}.`)),
      ended: ice.ended,
      // room reads the session's room, as roomInfo does, with the
      // session's URL for its credential: it still reads it once the
      // room token the page joined with has expired. 404: the session
      // is over.
      room: () => call({ url: sessionURL, token }, "GET", "", "Reading the room"),
      leave() {
        left.abort();
        ice.stop();
        leaving ??= leave(pc, sessionURL);
        return leaving;
      },
      // abandon ends the session without waiting: for a page being
      // closed, whose requests the browser sends on (keepalive).
      abandon() {
        left.abort();
        ice.stop();
        if (!leaving) {
          fetch(sessionURL, { method: "DELETE", keepalive: true }).catch(() => {});
        }
        pc.close();
      },
    };
  } catch (err) {
    pc.close();
    throw err;
  }
}

// LEAVE_TIMEOUT_MS bounds the wait for the server's answer to a leave.
const LEAVE_TIMEOUT_MS = 5000;

// leave tells the server, then closes the connection: the DELETE, not
// the closing, ends the session (closing first, the server would see the
// peer go and drop it on its own). A server that does not answer within
// LEAVE_TIMEOUT_MS is not waited for. Callers stop their camera and
// microphone tracks first.
async function leave(pc, sessionURL) {
  try {
    let res;
    try {
      // keepalive: a page closed meanwhile still sends it.
      res = await fetch(sessionURL, { method: "DELETE", keepalive: true, signal: timeoutSignal(LEAVE_TIMEOUT_MS) });
    } catch (err) {
      throw new McuError(0, `Leave: the server did not answer (${err.message}); it will drop the session by itself.`);
    }
    // 404: the server already dropped the session (a restart, a timeout),
    // 410: the room's moderator removed it; we are out either way.
    if (!res.ok && res.status !== 404 && res.status !== 410) {
      let err;
      try {
        err = await errorFromResponse(res, "Leave failed");
      } catch {
        err = new McuError(res.status, "Leave failed"); // the body did not come in time
      }
      throw err;
    }
    return res.status;
  } finally {
    pc.close();
  }
}

// call makes a request of the room API, with token (a non-empty string)
// as "Authorization: Bearer <token>", and resolves to the answer's JSON.
async function call({ server, token, url }, method, path, what, body, timeoutMs = DEFAULT_CALL_TIMEOUT_MS) {
  const auth = authorization(token);
  const timeout = timeoutSignal(timeoutMs);
  const init = { method, signal: timeout, headers: { ...auth } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url ?? `${base(server)}${path}`, init);
  } catch (err) {
    if (timeout.aborted || err.name === "TimeoutError") {
      throw new McuError(0, `${what}: the server did not answer within ${timeoutMs / 1000} s.`);
    }
    throw new McuError(0, `${what}: cannot reach the server: ${err.message}.`);
  }
  if (!res.ok) {
    throw await failure(res, what, auth);
  }
  return res.status === 204 ? null : res.json();
}

/** GET /api/rooms/{room}: name, layout, participants, viewers, recording, mixer. token: the server's, if it needs one. */
export function roomInfo({ server = "", room, token = "" }) {
  checkRoom(room);
  return call({ server, token }, "GET", `/api/rooms/${encodeURIComponent(room)}`, "Reading the room");
}

/** Starts recording the room's mix; resolves to {path}. token: the server's, if it needs one. */
export function startRecording({ server = "", room, token = "" }) {
  checkRoom(room);
  return call({ server, token }, "POST", `/api/rooms/${encodeURIComponent(room)}/recording`, "Starting the recording");
}

/** Stops and finalizes the recording; resolves to {path} of the finished file. token: the server's, if it needs one. */
export function stopRecording({ server = "", room, token = "" }) {
  checkRoom(room);
  return call({ server, token }, "DELETE", `/api/rooms/${encodeURIComponent(room)}/recording`, "Stopping the recording", undefined, STOP_RECORDING_TIMEOUT_MS);
}

/**
 * Switches the room's layout: mode is "grid" or "speaker"; spotlight, a
 * participant's id (as roomInfo lists it), shows them large in the speaker
 * layout ("" ends it; given without a mode, the room goes to the speaker
 * layout). Either may be left out. token: the server's, if it needs one.
 */
export function setLayout({ server = "", room, mode, spotlight, token = "" }) {
  checkRoom(room);
  return call({ server, token }, "PUT", `/api/rooms/${encodeURIComponent(room)}/layout`, "Changing the layout", { mode, spotlight });
}

/**
 * Locks the room, for its moderator, or with locked false unlocks it:
 * while it is locked, no one new may join to be seen or heard (a join
 * fails with status 423), those in it stay and may share their screens,
 * viewers still join; roomInfo says locked. token: the server's, if it
 * needs one (control).
 */
export function lockRoom({ server = "", room, locked, token = "" }) {
  checkRoom(room);
  return call({ server, token }, "PUT", `/api/rooms/${encodeURIComponent(room)}/lock`, locked ? "Locking the room" : "Unlocking the room", { locked });
}

/**
 * Mutes someone in the room, for its moderator: with muted true, session
 * id's sound (as roomInfo lists it) is kept out of every mix, the
 * recording's too, until muted false; roomInfo says muted. They still
 * hear the others. token: the server's, if it needs one (control).
 */
export function muteSession({ server = "", room, id, muted, token = "" }) {
  checkRoom(room);
  return call({ server, token }, "PUT", `/api/rooms/${encodeURIComponent(room)}/sessions/${encodeURIComponent(id)}`, muted ? "Muting them" : "Unmuting them", { muted });
}

/**
 * Removes someone from the room, for its moderator: session id (as
 * roomInfo lists it) ends, their shares with it, and their page learns
 * that the server ended their session. token: the server's, if it needs
 * one (a room token with the control grant).
 */
export function removeSession({ server = "", room, id, token = "" }) {
  checkRoom(room);
  return call({ server, token }, "DELETE", `/api/rooms/${encodeURIComponent(room)}/sessions/${encodeURIComponent(id)}`, "Removing them from the room");
}
