package io.drover.cluster.controller;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.drover.cluster.queue.RunRecords;
import io.drover.cluster.queue.WorkerId;
import io.drover.core.DroverException;
import io.drover.core.lua.Json;
import io.drover.core.model.RunId;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;

/**
 * The controller's HTTP API (JSON; {@code /events} is server-sent events, {@code /metrics} Prometheus text).
 * {@code /health} is open; everything else demands {@code Authorization: Bearer TOKEN} when the controller has a
 * token (compared in constant time, never logged). Without a token the controller binds to loopback only.
 *
 * <pre>
 * GET  /health                       GET /status            GET /workers
 * POST /workers/ID/drain             POST /workers/ID/resume
 * GET  /runs[?limit=N]               GET /runs/ID           POST /runs/ID/cancel
 * GET  /tasks/ID                     GET /events[?run=ID][&amp;after=EVENT-ID] (or Last-Event-ID)
 * GET  /metrics
 * </pre>
 */
final class ControllerApi {
    private final Controller controller;
    private final HttpServer server;
    private final byte[] token;

    private ControllerApi(Controller controller, HttpServer server, String token) {
        this.controller = controller;
        this.server = server;
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    /** Seconds a client may take to send its request (headers and body): a slow client is cut off. */
    static final int REQUEST_SECONDS = 10;
    /** Seconds an idle keep-alive connection is kept. */
    static final int IDLE_SECONDS = 30;

    static ControllerApi start(Controller controller, String bind, int port, String token) {
        // read once, when the JDK's server first starts in this process
        System.setProperty(
                "sun.net.httpserver.maxReqTime",
                System.getProperty("sun.net.httpserver.maxReqTime", Integer.toString(REQUEST_SECONDS)));
        System.setProperty(
                "sun.net.httpserver.idleInterval",
                System.getProperty("sun.net.httpserver.idleInterval", Integer.toString(IDLE_SECONDS)));
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(bind, port), 64);
        } catch (BindException e) {
            throw new DroverException("cannot listen on " + bind + ":" + port + ": " + e.getMessage()
                    + " (is another controller on this port? use --port)");
        } catch (IOException e) {
            throw new DroverException("cannot listen on " + bind + ":" + port + ": " + e.getMessage());
        }
        ControllerApi api = new ControllerApi(controller, server, token);
        server.createContext("/", api::handle);
        server.setExecutor(Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("drover-http-", 0).factory()));
        server.start();
        return api;
    }

    int port() {
        return server.getAddress().getPort();
    }

    void stop() {
        server.stop(0);
    }

    /**
     * Answers one request. Errors are answered before the exchange is closed (a try-with-resources would close it
     * first, and the client would get no answer at all).
     */
    private void handle(HttpExchange ex) throws IOException {
        try {
            route(ex);
        } catch (BadRequest e) {
            answerQuietly(ex, 400, e.getMessage());
        } catch (RuntimeException e) {
            answerQuietly(ex, 500, String.valueOf(e.getMessage()));
        } finally {
            ex.close();
        }
    }

    private static void answerQuietly(HttpExchange ex, int code, String error) {
        try {
            send(ex, code, Map.of("error", error));
        } catch (IOException | RuntimeException ignored) {
            // the client went away, or an answer was begun already
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        if (path.equals("/health")) {
            send(
                    ex,
                    200,
                    Map.of(
                            "status",
                            "ok",
                            "id",
                            controller.id(),
                            "role",
                            controller.isLeader() ? "leader" : "standby"));
            return;
        }
        String refused = token == null ? foreign(ex) : null;
        if (refused != null) {
            send(ex, 403, Map.of("error", refused));
            return;
        }
        if (!authorized(ex)) {
            send(ex, 401, Map.of("error", "missing or wrong token (Authorization: Bearer ...)"));
            return;
        }
        String[] p = path.replaceAll("/+$", "").split("/");
        Map<String, String> q = query(ex.getRequestURI().getRawQuery());
        String allowed = method(p);
        if (allowed != null && !allowed.equals(method)) {
            ex.getResponseHeaders().set("Allow", allowed);
            send(ex, 405, Map.of("error", method + " " + path + " is not allowed: use " + allowed));
            return;
        }
        switch (p.length > 1 ? p[1] : "") {
            case "status" -> send(ex, 200, controller.status());
            case "metrics" ->
                sendText(
                        ex,
                        200,
                        "text/plain; version=0.0.4; charset=utf-8",
                        controller.metrics().scrape());
            case "workers" -> workers(ex, method, p);
            case "runs" -> runs(ex, method, p, q);
            case "tasks" -> {
                if (p.length != 3) {
                    send(ex, 404, Map.of("error", "use /tasks/ID"));
                    return;
                }
                var s = controller.client().status(p[2]);
                if (s.isEmpty()) send(ex, 404, Map.of("error", "no task '" + p[2] + "' (unknown or expired)"));
                else send(ex, 200, s.get().toMap());
            }
            case "events" -> events(ex, q);
            default -> send(ex, 404, Map.of("error", "no such path " + path));
        }
    }

    /** A request the API refuses to read: its parameters are wrong. */
    private static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }

    /**
     * Without a token the API answers loopback only, and a browser can reach loopback too: a page elsewhere could
     * post to it (CSRF) or rename itself to it (DNS rebinding). So a request must name a loopback host, and one that
     * says where it comes from (Origin) must come from loopback. Returns why a request is refused, or null.
     */
    private static String foreign(HttpExchange ex) {
        String host = ex.getRequestHeaders().getFirst("Host");
        if (host != null && !isLoopback(hostName(host))) {
            return "Host '" + host + "' refused: without a token the API answers requests for localhost only";
        }
        String origin = ex.getRequestHeaders().getFirst("Origin");
        if (origin != null) {
            String o = origin.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://", "");
            if (origin.equals("null") || !isLoopback(hostName(o.replaceAll("/.*$", "")))) {
                return "Origin '" + origin + "' refused: without a token the API answers pages from localhost only";
            }
        }
        return null;
    }

    private static String hostName(String hostPort) {
        if (hostPort.startsWith("[")) {
            int end = hostPort.indexOf(']');
            return end < 0 ? hostPort : hostPort.substring(1, end);
        }
        int colon = hostPort.indexOf(':');
        return colon < 0 ? hostPort : hostPort.substring(0, colon);
    }

    /** The method a path answers to: POST for the actions (drain, resume, cancel), GET for the rest; null when unknown. */
    private static String method(String[] p) {
        String top = p.length > 1 ? p[1] : "";
        if (p.length == 4
                && (top.equals("workers") && (p[3].equals("drain") || p[3].equals("resume"))
                        || top.equals("runs") && p[3].equals("cancel"))) return "POST";
        return switch (top) {
            case "status", "metrics", "events" -> p.length == 2 ? "GET" : null;
            case "workers", "runs" -> p.length <= 3 ? "GET" : null;
            case "tasks" -> p.length == 3 ? "GET" : null;
            default -> null;
        };
    }

    private static boolean isLoopback(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.equals("localhost") || n.endsWith(".localhost") || n.equals("::1") || n.matches("127(\\.\\d{1,3}){3}");
    }

    private static int intParam(Map<String, String> q, String name, int dflt, int min, int max) {
        String v = q.get(name);
        if (v == null) return dflt;
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException ignored) {
            // said below
        }
        throw new BadRequest(name + " must be a whole number from " + min + " to " + max + ", not '" + v + "'");
    }

    private boolean authorized(HttpExchange ex) {
        if (token == null) return true;
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.startsWith("Bearer ")) return false;
        return MessageDigest.isEqual(token, h.substring(7).strip().getBytes(StandardCharsets.UTF_8));
    }

    private void workers(HttpExchange ex, String method, String[] p) throws IOException {
        if (p.length == 2) {
            send(
                    ex,
                    200,
                    controller.workers().list().stream().map(RunRecords::typed).toList());
            return;
        }
        if (p.length == 4 && method.equals("POST") && (p[3].equals("drain") || p[3].equals("resume"))) {
            boolean drain = p[3].equals("drain");
            if (!WorkerId.tryParse(p[2])
                    .map(worker -> controller.workers().drain(worker, drain))
                    .orElse(false)) {
                send(ex, 404, Map.of("error", "no live worker '" + p[2] + "' (drover node workers lists them)"));
                return;
            }
            controller.log((drain ? "draining" : "resuming") + " worker " + p[2] + " on request");
            send(ex, 200, Map.of("worker", p[2], "drain", drain));
            return;
        }
        send(ex, 404, Map.of("error", "use GET /workers, POST /workers/ID/drain or POST /workers/ID/resume"));
    }

    private void runs(HttpExchange ex, String method, String[] p, Map<String, String> q) throws IOException {
        RunRecords runs = controller.runs();
        if (p.length == 2) {
            int limit = intParam(q, "limit", 50, 1, 10_000);
            List<Map<String, Object>> out = new ArrayList<>();
            for (RunRecords.RunView v : runs.list(limit)) out.add(RunRecords.typed(v.fields()));
            send(ex, 200, out);
            return;
        }
        String id = p[2];
        Optional<RunId> run = RunId.tryParse(id); // what is no run id names no run
        if (p.length == 4 && p[3].equals("cancel") && method.equals("POST")) {
            if (run.isPresent() && runs.requestCancel(run.get(), "cancelled by request"))
                send(ex, 202, Map.of("run", id, "cancel", "requested"));
            else send(ex, 404, Map.of("error", "no active run '" + id + "'"));
            return;
        }
        var v = run.flatMap(runs::get);
        if (p.length != 3 || v.isEmpty()) {
            send(ex, 404, Map.of("error", "no run '" + id + "'"));
            return;
        }
        send(ex, 200, RunRecords.toMap(v.get()));
    }

    /** Server-sent events: every run's (or one run's) state changes and log lines, from an event id on. */
    private void events(HttpExchange ex, Map<String, String> q) throws IOException {
        String named = q.get("run");
        String after = q.getOrDefault("after", ex.getRequestHeaders().getFirst("Last-Event-ID"));
        if (after == null || after.isBlank()) after = q.containsKey("replay") ? "0" : "$";
        RunRecords runs = controller.runs();
        RunId run = named == null ? null : RunId.tryParse(named).orElse(null);
        if (named != null && (run == null || runs.state(run).isEmpty())) {
            send(ex, 404, Map.of("error", "no run '" + named + "' (drover runs list shows them)"));
            return;
        }
        if ("$".equals(after)) { // from now on: start after the newest event
            after = runs.newestEventId(run);
        }
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        out.write(": drover events\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        long idle = 0;
        while (true) {
            List<RunRecords.Event> batch = run == null ? runs.allEvents(after) : runs.events(run, after, 0);
            StringBuilder sb = new StringBuilder();
            boolean ended = false;
            for (RunRecords.Event e : batch) {
                after = e.id();
                sb.append("id: ")
                        .append(e.id())
                        .append('\n')
                        .append("event: ")
                        .append(e.type())
                        .append('\n')
                        .append("data: ")
                        .append(Json.write(e.fields()))
                        .append("\n\n");
                ended |= run != null
                        && "run".equals(e.type())
                        && RunRecords.ENDED.contains(e.fields().get("state"));
            }
            if (ended) { // one run's stream ends with the run: followers exit when it has
                out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
                out.flush();
                return;
            }
            if (!batch.isEmpty()) idle = 0;
            else if ((idle += 100) >= 15_000) {
                sb.append(": keep-alive\n\n");
                idle = 0;
            }
            if (!sb.isEmpty()) {
                out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
                out.flush(); // fails once the client has gone, which ends this stream
            }
            if (batch.isEmpty()) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return m;
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            m.put(k, eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return m;
    }

    private static void send(HttpExchange ex, int code, Object body) throws IOException {
        sendText(ex, code, "application/json; charset=utf-8", Json.write(body) + "\n");
    }

    private static void sendText(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(code, b.length);
        ex.getResponseBody().write(b);
    }
}
