// SPDX-License-Identifier: MIT
/*!
 * frond.js -- the Tina4 browser helper, WebSocket part (tina4-c).
 *
 * Served by every tina4-c server at GET /js/frond.js (embedded at build time).
 *
 *   <script src="/js/frond.js"></script>
 *   <script>
 *     const ws = frond.ws("/ws/chat/general");     // -> ws(s)://<page host>/ws/chat/general
 *     const off = ws.on("message", (data) => console.log(JSON.parse(data)));
 *     ws.sendJson({ type: "message", text: "hi" });   // buffered until open
 *   </script>
 *
 * Loads as a classic script (window.frond), as CommonJS (module.exports; Node
 * tests inject a WebSocket with the `WebSocket` option), and from an ES module
 * (js/frond.mjs re-exports it; `import "/js/frond.js"` also sets globalThis.frond).
 *
 * OPTIONS (frond.ws(url, options)), defaults in brackets:
 *   reconnect [true]            reconnect when the connection drops or cannot be made
 *   reconnectInterval [3000]    base delay in ms
 *   maxReconnectDelay [30000]   cap of the exponential delay, ms
 *   maxReconnectAttempts [10]   consecutive failed attempts before giving up (Infinity: never)
 *   maxBuffer [1000]            messages kept while not open (0: no buffering)
 *   protocols                   WebSocket subprotocol(s)
 *   binaryType                  passed to the socket ("blob" or "arraybuffer" in browsers)
 *   resume [true]               offer the tina4.v1 subprotocol: positions, resume after a
 *                               reconnect, presence (see RESUME below); false: plain WebSocket
 *   history [0]                 on a fresh join, ask for the last n messages of the path
 *   WebSocket                   the implementation [globalThis.WebSocket]
 *   baseUrl                     what relative URLs resolve against [location.href]
 *
 * RECONNECT BACKOFF (attempt n = 1, 2, ... counts consecutive attempts since
 * the last successful open; it restarts at 1 after every open):
 *
 *   delay(n) = min(maxReconnectDelay, reconnectInterval * 2^(n-1)) * (0.5 + random() / 2)
 *
 * i.e. "equal jitter": a uniformly random delay in [half, whole) of the
 * capped exponential. Defaults give 1.5-3 s, 3-6 s, 6-12 s, 12-24 s, then
 * 15-30 s for every later attempt (the ten default waits total 2-4 minutes).
 * A close with 1012 (Service Restart: the server is reloading and its new
 * workers already accept) makes the first attempt at once, with no delay.
 * After maxReconnectAttempts attempts have failed, "reconnect_failed" is
 * emitted once and the client stays closed. close() stops reconnecting.
 * Details and the test list: docs/FROND_JS.md.
 *
 * SEND BUFFER: send() while not open appends to a FIFO buffer that is written,
 * in order, as soon as the next connection opens and BEFORE the "open"
 * handlers run (so a message sent from an "open" handler follows the buffered
 * ones). Overflow policy: when the buffer already holds maxBuffer messages,
 * the OLDEST is dropped and an "overflow" event is emitted with it
 * (handler(droppedMessage)). Messages already handed to a socket that then
 * drops are not resent (delivery is at most once). After close() or
 * "reconnect_failed", send() drops the message and returns false.
 *
 * EVENTS (ws.on(name, fn) returns a function that unsubscribes fn):
 *   open       (event)                        a connection opened (after the buffer flush)
 *   message    (data, event)                  text: the string; binary: what the socket gives
 *                                             (Blob or ArrayBuffer per binaryType; Buffer in Node ws)
 *   close      (code, reason, willReconnect)  every underlying socket close, failed attempts included
 *   error      (event)                        an underlying socket error
 *   reconnect  (attempt, delay)               attempt n (1-based) starts now, after waiting delay ms
 *   reconnect_failed ()                       once, when the attempts have run out
 *   overflow   (droppedMessage)               the send buffer dropped its oldest message
 *   resumed    (count)                        a reconnect resumed: the count messages it
 *                                             missed have been delivered (as "message")
 *   gap        (info)                         a reconnect could not resume (messages no longer
 *                                             kept, or the server restarted): live ones only
 *   history    (count)                        a fresh join with `history`: count delivered
 *   join       ({id, info})                   a connection on the path set its presence
 *   update     ({id, info})                   ... changed it
 *   leave      ({id, info})                   ... closed
 *   presence   (list)                         the list changed (ws.presence() gives it too)
 *   control    (object)                       a tina4.v1 control message of another type
 *
 * RESUME: on a tina4-c route with history (.history_size), every broadcast
 * and push carries a position; frond.js keeps the last one (ws.position) and,
 * when it reconnects (a drop, 1001, 1012), offers it: the server first sends
 * what was missed, in order, then live messages - no gap, no duplicate.
 * Messages reach "message" handlers as the same strings as without it. Wire
 * format: docs/RESUME_PROTOCOL.md.
 *
 * A handler that throws does not stop the others; the exception is rethrown
 * asynchronously so it still reaches the console.
 */
(function (root, factory) {
    "use strict";
    var api = factory(root);
    if (typeof module === "object" && module && module.exports) {
        module.exports = api;
    } else if (root) {
        var prev = root.frond;
        if (prev && typeof prev === "object") {
            for (var k in api) {
                if (Object.prototype.hasOwnProperty.call(api, k)) prev[k] = api[k];
            }
        } else {
            root.frond = api;
        }
    }
})(typeof globalThis !== "undefined" ? globalThis : typeof self !== "undefined" ? self : this, function (root) {
    "use strict";

    var CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;

    var DEFAULTS = {
        reconnect: true,
        reconnectInterval: 3000,
        maxReconnectDelay: 30000,
        maxReconnectAttempts: 10,
        maxBuffer: 1000,
        protocols: undefined,
        binaryType: undefined,
        WebSocket: undefined,
        baseUrl: undefined,
        resume: true,
        history: 0
    };

    var V1 = "tina4.v1";

    /* The delay in ms before reconnect attempt n (1-based); rnd in [0, 1). */
    function reconnectDelay(n, opts, rnd) {
        var o = opts || DEFAULTS;
        var base = o.reconnectInterval !== undefined ? o.reconnectInterval : DEFAULTS.reconnectInterval;
        var cap = o.maxReconnectDelay !== undefined ? o.maxReconnectDelay : DEFAULTS.maxReconnectDelay;
        var r = rnd === undefined ? Math.random() : rnd;
        var exp = base * Math.pow(2, Math.max(0, n - 1));
        return Math.min(cap, exp) * (0.5 + r / 2);
    }

    /* ws://, wss:// stay; http(s):// become ws(s)://; anything else is
     * resolved against base (the page's URL by default) and takes ws: for
     * http: pages and wss: for https: pages. */
    function resolveUrl(url, base) {
        url = String(url);
        if (/^wss?:\/\//i.test(url)) return url;
        if (/^https?:\/\//i.test(url)) return url.replace(/^http/i, "ws");
        if (base === undefined && root && root.location) base = root.location.href;
        if (!base) throw new Error("frond.ws: cannot resolve the relative URL " + url + " (no page location; pass baseUrl)");
        var abs = new URL(url, String(base));
        var proto = abs.protocol === "https:" || abs.protocol === "wss:" ? "wss:" : "ws:";
        return proto + "//" + abs.host + abs.pathname + abs.search;
    }

    function rethrowLater(err) {
        setTimeout(function () {
            throw err;
        }, 0);
    }

    function FrondSocket(url, options) {
        var opts = {};
        var k;
        for (k in DEFAULTS) opts[k] = DEFAULTS[k];
        if (options) {
            for (k in options) {
                if (Object.prototype.hasOwnProperty.call(options, k) && options[k] !== undefined) opts[k] = options[k];
            }
        }
        this.options = opts;
        this.url = resolveUrl(url, opts.baseUrl);
        this._Impl = opts.WebSocket || (root && root.WebSocket);
        if (typeof this._Impl !== "function") {
            throw new Error("frond.ws: no WebSocket implementation (pass options.WebSocket)");
        }
        this._handlers = {};
        this._buffer = [];
        this._socket = null;
        this._timer = null;
        this._attempt = 0; /* consecutive reconnect attempts since the last open */
        this._stopped = false; /* close() called or attempts exhausted */
        this._pos = null; /* {epoch, offset} of the last positioned message (tina4.v1) */
        this._id = null; /* the server's id of the current connection (tina4.v1) */
        this._members = {}; /* presence: id -> info */
        this._connect(true);
    }

    FrondSocket.CONNECTING = FrondSocket.prototype.CONNECTING = CONNECTING;
    FrondSocket.OPEN = FrondSocket.prototype.OPEN = OPEN;
    FrondSocket.CLOSING = FrondSocket.prototype.CLOSING = CLOSING;
    FrondSocket.CLOSED = FrondSocket.prototype.CLOSED = CLOSED;

    var proto = FrondSocket.prototype;

    proto._emit = function (name) {
        var list = this._handlers[name];
        if (!list || !list.length) return;
        var args = Array.prototype.slice.call(arguments, 1);
        list = list.slice(); /* handlers may unsubscribe while we iterate */
        for (var i = 0; i < list.length; i++) {
            try {
                list[i].apply(this, args);
            } catch (e) {
                rethrowLater(e);
            }
        }
    };

    proto._connect = function (first) {
        var self = this;
        var sock;
        var protos = this._protocols();
        try {
            sock = protos !== undefined ? new this._Impl(this.url, protos) : new this._Impl(this.url);
        } catch (e) {
            /* A malformed URL throws from frond.ws() itself; should a later
             * attempt throw, it counts as a failed attempt. */
            if (first) throw e;
            this._socket = null;
            this._emit("error", e);
            this._dropped(1006, String((e && e.message) || e));
            return;
        }
        this._socket = sock;
        if (this.options.binaryType) sock.binaryType = this.options.binaryType;
        var st = { v1: false, welcomed: false, bin: null, left: 0, count: 0, join: "" };
        sock.onopen = function (ev) {
            if (self._socket !== sock) return;
            self._attempt = 0;
            st.v1 = sock.protocol === V1;
            var queued = self._buffer;
            self._buffer = [];
            for (var i = 0; i < queued.length; i++) {
                if (sock.readyState !== OPEN) {
                    /* closed during the flush: keep the rest for the next connection */
                    self._buffer = queued.slice(i).concat(self._buffer);
                    break;
                }
                sock.send(queued[i]);
            }
            self._emit("open", ev);
        };
        sock.onmessage = function (ev) {
            if (self._socket !== sock) return;
            if (!st.v1) self._emit("message", ev.data, ev);
            else self._v1message(st, ev);
        };
        sock.onerror = function (ev) {
            if (self._socket !== sock) return;
            self._emit("error", ev);
        };
        sock.onclose = function (ev) {
            if (self._socket !== sock) return;
            self._socket = null;
            self._dropped(ev.code, ev.reason);
        };
    };

    /* The subprotocols to offer: the caller's, then tina4.v1 with where we
     * stopped (or, on a fresh join, how much history we want). */
    proto._protocols = function () {
        var o = this.options;
        var list = o.protocols === undefined ? [] : [].concat(o.protocols);
        if (!o.resume) return o.protocols;
        list.push(V1);
        if (this._pos) list.push("tina4.resume." + this._pos.epoch + "." + this._pos.offset);
        else if (o.history > 0) list.push("tina4.history." + Math.floor(o.history));
        return list;
    };

    function parsePos(s) {
        var i = s.indexOf(":");
        return i > 0 ? { epoch: s.slice(0, i), offset: s.slice(i + 1) } : null;
    }

    /* A message on a tina4.v1 socket: a type byte, then (see v1 in
     * docs/RESUME_PROTOCOL.md) the message, a position, or a control. */
    proto._v1message = function (st, ev) {
        var d = ev.data;
        if (typeof d !== "string") {
            if (st.bin) this._pos = st.bin;
            st.bin = null;
            this._emit("message", d, ev);
            this._counted(st);
            return;
        }
        var t = d.charAt(0);
        if (!st.welcomed) {
            var w = null;
            if (t === "c") {
                try {
                    w = JSON.parse(d.slice(1));
                } catch (e) {
                    w = null;
                }
            }
            if (!w || w.type !== "welcome") {
                st.v1 = false; /* not a tina4-c server after all: raw from here on */
                this._emit("message", d, ev);
                return;
            }
            st.welcomed = true;
            this._welcome(st, w);
            return;
        }
        if (t === ".") {
            this._emit("message", d.slice(1), ev);
        } else if (t === "p") {
            var nl = d.indexOf("\n");
            var pos = parsePos(d.slice(1, nl));
            if (pos) this._pos = pos;
            this._emit("message", d.slice(nl + 1), ev);
            this._counted(st);
        } else if (t === "b") {
            st.bin = parsePos(d.slice(1));
        } else if (t === "s") {
            this._pos = parsePos(d.slice(1)) || this._pos;
        } else if (t === "c") {
            var c;
            try {
                c = JSON.parse(d.slice(1));
            } catch (e) {
                return;
            }
            this._control(c);
        } else {
            this._emit("message", d, ev);
        }
    };

    proto._welcome = function (st, w) {
        this._id = w.id;
        if (w.presence) {
            this._members = {};
            for (var i = 0; i < w.presence.length; i++) this._members[w.presence[i].id] = w.presence[i].info;
            this._emit("presence", this.presence());
        }
        this._pos = w.epoch ? { epoch: w.epoch, offset: String(w.offset) } : null;
        st.join = w.join;
        st.count = st.left = w.count || 0;
        if (w.join === "gap") this._emit("gap", { epoch: w.epoch, offset: w.offset });
        if (!st.left) this._replayDone(st);
    };

    /* One replayed (or live) positioned message has been delivered. */
    proto._counted = function (st) {
        if (st.left > 0 && --st.left === 0) this._replayDone(st);
    };

    proto._replayDone = function (st) {
        if (st.join === "resumed") this._emit("resumed", st.count);
        else if (st.join === "fresh" && st.count) this._emit("history", st.count);
    };

    /* Controls other than the welcome: presence changes; unknown types are
     * passed on as "control" and otherwise ignored. */
    proto._control = function (c) {
        if ((c.type === "join" || c.type === "update" || c.type === "leave") && typeof c.id === "string") {
            var m = this._members || (this._members = {});
            if (c.type === "leave") delete m[c.id];
            else m[c.id] = c.info;
            this._emit(c.type, { id: c.id, info: c.info });
            this._emit("presence", this.presence());
            return;
        }
        this._emit("control", c);
    };

    /* Who is on the path: [{id, info}] of the connections that set presence
     * (a route with presence events), as last told by the server. */
    proto.presence = function () {
        var out = [];
        for (var id in this._members) {
            if (Object.prototype.hasOwnProperty.call(this._members, id)) out.push({ id: id, info: this._members[id] });
        }
        return out;
    };

    /* The current socket has gone: report it, then reconnect or give up. */
    proto._dropped = function (code, reason) {
        var o = this.options;
        var retry = !this._stopped && o.reconnect && this._attempt < o.maxReconnectAttempts;
        var giveUp = !this._stopped && o.reconnect && !retry;
        if (!this._stopped && !o.reconnect) this._stopped = true;
        if (giveUp) this._stopped = true;
        this._emit("close", code, reason, retry);
        if (retry && !this._stopped) this._schedule(code === 1012);
        else if (giveUp) this._emit("reconnect_failed");
    };

    proto._schedule = function (restart) {
        var self = this;
        var n = ++this._attempt;
        var delay = restart && n === 1 ? 0 : reconnectDelay(n, this.options);
        this._timer = setTimeout(function () {
            self._timer = null;
            if (self._stopped) return;
            self._emit("reconnect", n, delay);
            if (!self._stopped) self._connect();
        }, delay);
    };

    /* Subscribes fn to an event; returns a function that unsubscribes it. */
    proto.on = function (name, fn) {
        if (typeof fn !== "function") throw new TypeError("frond.ws: on(" + name + ") needs a function");
        (this._handlers[name] = this._handlers[name] || []).push(fn);
        var self = this;
        return function () {
            self.off(name, fn);
        };
    };

    /* Like on(), but fn runs at most once. */
    proto.once = function (name, fn) {
        var off = this.on(name, function () {
            off();
            return fn.apply(this, arguments);
        });
        return off;
    };

    /* off(name, fn) removes fn; off(name) every handler of name; off() all. */
    proto.off = function (name, fn) {
        if (name === undefined) {
            this._handlers = {};
        } else if (fn === undefined) {
            delete this._handlers[name];
        } else {
            var list = this._handlers[name];
            if (!list) return this;
            var i = list.indexOf(fn);
            if (i >= 0) list.splice(i, 1);
        }
        return this;
    };

    /* Sends now when open, else buffers (see SEND BUFFER above). Returns
     * true when sent or buffered, false when dropped (closed for good). */
    proto.send = function (data) {
        if (this._stopped) return false;
        var s = this._socket;
        if (s && s.readyState === OPEN) {
            s.send(data);
            return true;
        }
        var max = this.options.maxBuffer;
        this._buffer.push(data);
        while (this._buffer.length > max) {
            this._emit("overflow", this._buffer.shift());
        }
        return true;
    };

    proto.sendJson = function (value) {
        return this.send(JSON.stringify(value));
    };

    /* Closes the connection (code 1000 unless given) and stops reconnecting for good. */
    proto.close = function (code, reason) {
        if (this._stopped && !this._socket) return;
        this._stopped = true;
        if (this._timer !== null) {
            clearTimeout(this._timer);
            this._timer = null;
        }
        var s = this._socket;
        if (s && (s.readyState === CONNECTING || s.readyState === OPEN)) {
            /* 1000 by default (a bare close() would report 1005 "no status") */
            if (code === undefined) code = 1000;
            if (reason === undefined) s.close(code);
            else s.close(code, reason);
        } else if (!s) {
            /* waiting between attempts: nothing to close, report it anyway */
            this._emit("close", code === undefined ? 1000 : code, reason || "", false);
        }
    };

    Object.defineProperty(proto, "readyState", {
        /* CONNECTING also while waiting to reconnect; CLOSED once stopped. */
        get: function () {
            if (this._socket) return this._socket.readyState;
            return this._stopped ? CLOSED : CONNECTING;
        }
    });
    Object.defineProperty(proto, "connected", {
        get: function () {
            return !!this._socket && this._socket.readyState === OPEN;
        }
    });
    Object.defineProperty(proto, "bufferedCount", {
        get: function () {
            return this._buffer.length;
        }
    });
    Object.defineProperty(proto, "position", {
        /* {epoch, offset} of the last positioned message, or null. */
        get: function () {
            return this._pos ? { epoch: this._pos.epoch, offset: this._pos.offset } : null;
        }
    });
    Object.defineProperty(proto, "id", {
        /* The server's id of the current connection (tina4.v1), else null. */
        get: function () {
            return this._id;
        }
    });
    Object.defineProperty(proto, "reconnectAttempt", {
        get: function () {
            return this._attempt;
        }
    });

    function ws(url, options) {
        return new FrondSocket(url, options);
    }

    return {
        version: "0.1.0",
        ws: ws,
        FrondSocket: FrondSocket,
        resolveUrl: resolveUrl,
        reconnectDelay: reconnectDelay,
        defaults: DEFAULTS
    };
});
