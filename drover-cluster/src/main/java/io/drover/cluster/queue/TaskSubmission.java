package io.drover.cluster.queue;

import io.drover.core.lua.Json;
import io.drover.core.model.Backoff;
import io.drover.core.runner.RequestCodec;
import io.drover.core.runner.TaskRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A task to put on a queue: a shell command or a Lua chunk, with its retry policy. Immutable; build with
 * {@link #shell} or {@link #lua}, then the {@code with*} methods.
 *
 * @param kind {@code shell}, {@code lua}, or the name of a task kind registered with the workers
 * @param command the shell command, the body of a Lua function {@code (params)} returning {@code ok, msg, outputs},
 *     a task kind's configuration as JSON, or a workflow task's attempt as JSON
 * @param source for a workflow task only, the reference of its workflow's source ({@link SourceRef})
 */
public record TaskSubmission(
        String kind,
        String command,
        String queue,
        int retries,
        Duration timeout,
        Backoff backoff,
        Map<String, Object> params,
        Map<String, String> env,
        String idempotencyKey,
        Map<String, String> tags,
        WorkerId worker,
        SourceRef source,
        String files) {
    public static final String DEFAULT_QUEUE = "default";

    public TaskSubmission {
        Objects.requireNonNull(command, "command");
        if (!Keys.isName(kind)) throw new IllegalArgumentException("bad task kind '" + kind + "'");
        if (command.isBlank()) throw new IllegalArgumentException("the command is empty");
        if (retries < 0 || retries > 1000)
            throw new IllegalArgumentException("retries must be 0..1000, got " + retries);
        new Keys(queue); // validates the name
        backoff = backoff == null ? Backoff.DEFAULT : backoff;
        params = Map.copyOf(params);
        env = Map.copyOf(env);
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        Keys.checkTags(tags);
        if (WORKFLOW_KIND.equals(kind) != (source != null))
            throw new IllegalArgumentException("a workflow task, and only one, names its source");
        if (files != null && (source == null || !Keys.isHash(files)))
            throw new IllegalArgumentException("only a workflow task starts from a version of its run's files");
    }

    public static TaskSubmission shell(String command) {
        return new TaskSubmission(
                "shell",
                command,
                DEFAULT_QUEUE,
                0,
                null,
                Backoff.DEFAULT,
                Map.of(),
                Map.of(),
                null,
                Map.of(),
                null,
                null,
                null);
    }

    public static TaskSubmission lua(String body) {
        return new TaskSubmission(
                "lua",
                body,
                DEFAULT_QUEUE,
                0,
                null,
                Backoff.DEFAULT,
                Map.of(),
                Map.of(),
                null,
                Map.of(),
                null,
                null,
                null);
    }

    /**
     * One attempt of a workflow task, sent by a run on the fleet: a reference to the workflow's source (stored once
     * per run, {@link Client#storeSource}; the worker runs its Lua functions) and the attempt ({@link
     * io.drover.core.runner.RequestCodec}), which the task's spec carries as one JSON object. Retries stay with the
     * run's scheduler, so the queue gives it one attempt.
     */
    public static TaskSubmission workflow(SourceRef sourceRef, TaskRequest request) {
        return new TaskSubmission(
                WORKFLOW_KIND,
                RequestCodec.write(request),
                DEFAULT_QUEUE,
                0,
                null,
                Backoff.DEFAULT,
                Map.of(),
                Map.of(),
                null,
                request.task().tags(),
                null,
                sourceRef,
                null);
    }

    /** The built-in kind of {@link #workflow} tasks. */
    public static final String WORKFLOW_KIND = "workflow";

    /** A task of a kind registered with the workers ({@link io.drover.core.runner.TaskKind}), with its configuration. */
    public static TaskSubmission kind(String name, Map<String, ?> config) {
        if (name.equals("shell") || name.equals("lua") || name.equals(WORKFLOW_KIND))
            throw new IllegalArgumentException("use shell(...) or lua(...) for " + name);
        return new TaskSubmission(
                name,
                Json.write(config),
                DEFAULT_QUEUE,
                0,
                null,
                Backoff.DEFAULT,
                Map.of(),
                Map.of(),
                null,
                Map.of(),
                null,
                null,
                null);
    }

    public TaskSubmission withQueue(String q) {
        return new TaskSubmission(
                kind, command, q, retries, timeout, backoff, params, env, idempotencyKey, tags, worker, source, files);
    }

    public TaskSubmission withRetries(int n) {
        return new TaskSubmission(
                kind, command, queue, n, timeout, backoff, params, env, idempotencyKey, tags, worker, source, files);
    }

    public TaskSubmission withTimeout(Duration d) {
        return new TaskSubmission(
                kind, command, queue, retries, d, backoff, params, env, idempotencyKey, tags, worker, source, files);
    }

    public TaskSubmission withBackoff(Backoff b) {
        return new TaskSubmission(
                kind, command, queue, retries, timeout, b, params, env, idempotencyKey, tags, worker, source, files);
    }

    public TaskSubmission withParams(Map<String, ?> p) {
        return new TaskSubmission(
                kind,
                command,
                queue,
                retries,
                timeout,
                backoff,
                new LinkedHashMap<>(p),
                env,
                idempotencyKey,
                tags,
                worker,
                source,
                files);
    }

    public TaskSubmission withEnv(Map<String, String> e) {
        return new TaskSubmission(
                kind,
                command,
                queue,
                retries,
                timeout,
                backoff,
                params,
                e,
                idempotencyKey,
                tags,
                worker,
                source,
                files);
    }

    /** Only workers with every one of these tags take the task (each tag: a name and a value). */
    public TaskSubmission withTags(Map<String, String> t) {
        return new TaskSubmission(
                kind, command, queue, retries, timeout, backoff, params, env, idempotencyKey, t, worker, source, files);
    }

    /**
     * Puts the task on this worker's own stream (affinity: it ran the task's dependencies), null for the shared one.
     * If that worker stops or dies before taking it, the leading controller moves it to the shared stream.
     */
    public TaskSubmission withWorker(WorkerId workerId) {
        return new TaskSubmission(
                kind,
                command,
                queue,
                retries,
                timeout,
                backoff,
                params,
                env,
                idempotencyKey,
                tags,
                workerId,
                source,
                files);
    }

    /**
     * A workflow task that starts from the version {@code ref} of its run's files (a listing reference of
     * {@code io.drover.cluster.files}): the worker makes its directory that version and stores what it changes.
     */
    public TaskSubmission withFiles(String ref) {
        return new TaskSubmission(
                kind,
                command,
                queue,
                retries,
                timeout,
                backoff,
                params,
                env,
                idempotencyKey,
                tags,
                worker,
                source,
                ref);
    }

    public TaskSubmission withIdempotencyKey(String key) {
        return new TaskSubmission(
                kind, command, queue, retries, timeout, backoff, params, env, key, tags, worker, source, files);
    }
}
