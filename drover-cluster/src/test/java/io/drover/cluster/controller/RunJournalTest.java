package io.drover.cluster.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.cluster.RedisServer;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.RedisLink;
import io.drover.cluster.queue.RunRecords;
import io.drover.core.MutableClock;
import io.drover.core.engine.TaskState;
import io.drover.core.model.Command;
import io.drover.core.model.RunId;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.runner.TaskOutcome;
import io.lettuce.core.Range;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How the leader's snapshot of a run reaches Redis: chunked, fenced, and put back when a flush fails. */
class RunJournalTest {
    private RedisServer server;
    private RedisLink link;
    private final AtomicLong fencedBy = new AtomicLong();

    @BeforeEach
    void start() throws Exception {
        server = RedisServer.start();
        link = RedisLink.connect(server.url());
    }

    @AfterEach
    void stop() throws Exception {
        link.close();
        server.close();
    }

    /** A run claimed by epoch {@code epoch}, as claim_run leaves it, and a journal writing for {@code writer}. */
    private RunJournal journal(String runId, long epoch, long writer) {
        return journal(runId, epoch, writer, Clock.systemUTC());
    }

    private RunJournal journal(String runId, long epoch, long writer, Clock clock) {
        link.sync()
                .hset(
                        Keys.run(RunId.parse(runId)),
                        Map.of("id", runId, "epoch", Long.toString(epoch), "state", "RUNNING"));
        link.sync().sadd(Keys.ACTIVE_RUNS, runId);
        return new RunJournal(
                RunId.parse(runId),
                writer,
                new RunRecords(link.sync()),
                new ControllerMetrics(),
                false,
                fencedBy::set,
                Map.of(),
                clock);
    }

    @Test
    void theRecordIsStampedWithTheControllersClock() {
        MutableClock clock = new MutableClock();
        clock.advance(Duration.ofDays(400)); // far from the machine's time, so only the clock given can say it
        RunJournal j = journal("r-clock", 1, 1, clock);
        link.sync().hset(Keys.run(RunId.parse("r-clock")), "state", "SUBMITTED");
        j.onRunStarted("r-clock", 1);
        assertThat(j.flush()).isTrue();
        assertThat(link.sync().hget(Keys.run(RunId.parse("r-clock")), "started_at"))
                .isEqualTo(clock.instant().toString());
    }

    private static TaskSpec task(int i) {
        return TaskSpec.of(new TaskId("g", "t" + i), new Command.Shell("true"), List.of());
    }

    @Test
    void aFlushOfMoreValuesThanOneScriptCallTakesIsWrittenInChunksAndLosesNothing() {
        RunJournal j = journal("r1", 1, 1);
        for (int i = 0; i < 1500; i++) { // 3,000 record values and 1,500 events: over the 2,000 values of a call
            j.onTaskStateChanged(task(i), TaskState.READY, TaskState.RUNNING, 1, "");
        }
        assertThat(j.flush()).isTrue();
        Map<String, String> h = link.sync().hgetall(Keys.run(RunId.parse("r1")));
        assertThat(h.keySet().stream().filter(k -> k.startsWith("t:"))).hasSize(1500);
        assertThat(RunRecords.task(TaskId.parse("g.t1499"), h.get("t:g.t1499")).state())
                .isEqualTo(TaskState.RUNNING);
        assertThat(new RunRecords(link.sync()).events(RunId.parse("r1"), "0", 0))
                .hasSize(1500);
        assertThat(new RunRecords(link.sync()).allEvents("0")).hasSize(1500);
    }

    @Test
    void eventsAreWrittenAsOneEntryPerFlushAndAReaderResumingInsideAnEntryGetsEachEventOnce() {
        RunJournal j = journal("r5", 1, 1);
        for (int i = 0; i < 700; i++) j.onTaskStateChanged(task(i), TaskState.READY, TaskState.RUNNING, 1, "");
        assertThat(j.flush()).isTrue();
        j.onTaskStateChanged(task(0), TaskState.RUNNING, TaskState.SUCCEEDED, 1, "");
        assertThat(j.flush()).isTrue();
        assertThat(link.sync().xlen(Keys.runEvents(RunId.parse("r5")))).isEqualTo(3); // 500 + 200 events, then 1
        RunRecords runs = new RunRecords(link.sync());
        List<String> seen = new ArrayList<>();
        String after = "0";
        for (int reads = 0; reads < 20 && seen.size() < 701; reads++) {
            List<RunRecords.Event> batch = runs.events(RunId.parse("r5"), after, 0);
            for (RunRecords.Event e : batch.subList(0, Math.min(batch.size(), 123))) { // stop inside entries
                seen.add(e.fields().get("task") + " " + e.fields().get("to"));
                after = e.id();
            }
        }
        assertThat(seen).hasSize(701).doesNotHaveDuplicates();
        assertThat(seen.get(0)).isEqualTo("g.t0 RUNNING");
        assertThat(seen.get(700)).isEqualTo("g.t0 SUCCEEDED");
        assertThat(runs.events(RunId.parse("r5"), after, 0)).isEmpty();
        assertThat(runs.events(RunId.parse("r5"), after, 50)).isEmpty(); // waits, then nothing
    }

    @Test
    void stateChangesAreStoredAsShortArraysAndReadBackAsTheEventsTheyWereEachNamingTheRun() {
        RunId run = RunId.parse("r6");
        RunJournal j = journal("r6", 1, 1);
        // an entry of objects that name the run, as submit_run.lua writes a run's first event
        link.sync()
                .xadd(
                        Keys.runEvents(run),
                        Map.of("events", "[{\"run\":\"r6\",\"type\":\"run\",\"state\":\"SUBMITTED\"}]"));
        j.onTaskStateChanged(task(1), TaskState.PENDING, TaskState.READY, 1, "");
        j.onTaskStateChanged(task(1), TaskState.RUNNING, TaskState.FAILED, 2, "exit 3: \"quoted\"");
        j.onTaskLog(task(1), 2, "a line");
        assertThat(j.flush()).isTrue();

        var entries = link.sync().xrange(Keys.runEvents(run), Range.create("-", "+"));
        assertThat(entries.get(1).getBody())
                .containsEntry("run", "r6")
                .containsEntry(
                        "events",
                        "[[\"s\",\"g.t1\",\"PENDING\",\"READY\",1,\"\"],"
                                + "[\"s\",\"g.t1\",\"RUNNING\",\"FAILED\",2,\"exit 3: \\\"quoted\\\"\"],"
                                + "{\"type\":\"log\",\"task\":\"g.t1\",\"attempt\":\"2\",\"line\":\"a line\"}]");
        RunRecords runs = new RunRecords(link.sync());
        List<Map<String, String>> read =
                runs.events(run, "0", 0).stream().map(RunRecords.Event::fields).toList();
        assertThat(read)
                .containsExactly(
                        Map.of("run", "r6", "type", "run", "state", "SUBMITTED"),
                        Map.of(
                                "run", "r6", "type", "state", "task", "g.t1", "from", "PENDING", "to", "READY",
                                "attempt", "1", "message", ""),
                        Map.of(
                                "run",
                                "r6",
                                "type",
                                "state",
                                "task",
                                "g.t1",
                                "from",
                                "RUNNING",
                                "to",
                                "FAILED",
                                "attempt",
                                "2",
                                "message",
                                "exit 3: \"quoted\""),
                        Map.of("run", "r6", "type", "log", "task", "g.t1", "attempt", "2", "line", "a line"));
        assertThat(List.copyOf(read.get(1).keySet())) // in the order events always had
                .containsExactly("run", "type", "task", "from", "to", "attempt", "message");
        assertThat(runs.allEvents("0").stream().map(RunRecords.Event::fields).toList())
                .containsExactlyElementsOf(read.subList(1, 4));
    }

    @Test
    void anAttemptThatStartsAndEndsBetweenFlushesIsOneFieldOfTheRecordThatNamesItsWorker() {
        RunId run = RunId.parse("r7");
        RunJournal j = journal("r7", 1, 1);
        RunRecords runs = new RunRecords(link.sync());
        j.onTaskStateChanged(task(1), TaskState.READY, TaskState.RUNNING, 1, "");
        j.onAttemptStarted(task(1), 1, "w-1");
        assertThat(j.flush()).isTrue();
        assertThat(link.sync().hexists(Keys.run(run), "w:g.t1")).isFalse();
        assertThat(runs.get(run).orElseThrow().tasks().get(task(1).id()).ranOn())
                .isEqualTo("w-1");

        j.onAttemptEnded(
                task(1),
                1,
                TaskOutcome.succeeded("", Map.of()).withRan(new TaskOutcome.Ran("w-1", Instant.now(), Instant.now())));
        j.onTaskStateChanged(task(1), TaskState.RUNNING, TaskState.SUCCEEDED, 1, "");
        assertThat(j.flush()).isTrue();
        assertThat(link.sync().hexists(Keys.run(run), "w:g.t1")).isFalse();
        assertThat(runs.get(run).orElseThrow().tasks().get(task(1).id()))
                .satisfies(t -> assertThat(t.state()).isEqualTo(TaskState.SUCCEEDED))
                .satisfies(t -> assertThat(t.ranOn()).isEqualTo("w-1"));

        // a start heard after its RUNNING snapshot was written: the worker goes to its own field until the end
        j.onTaskStateChanged(task(2), TaskState.READY, TaskState.RUNNING, 1, "");
        assertThat(j.flush()).isTrue();
        j.onAttemptStarted(task(2), 1, "w-2");
        assertThat(j.flush()).isTrue();
        assertThat(link.sync().hget(Keys.run(run), "w:g.t2")).isEqualTo("w-2");
        assertThat(runs.get(run).orElseThrow().tasks().get(task(2).id()).ranOn())
                .isEqualTo("w-2");
    }

    @Test
    void aFlushThatFailsKeepsItsWritesAndTheNextFlushWritesThemUnderWhatCameMeanwhile() {
        RunJournal j = journal("r2", 1, 1);
        j.onTaskStateChanged(task(1), TaskState.READY, TaskState.RUNNING, 1, "");
        j.onTaskStateChanged(task(2), TaskState.READY, TaskState.RUNNING, 1, "");
        link.sync().configSet("maxmemory", "1"); // Redis refuses every write (OOM) until this is undone
        try {
            assertThat(j.flush()).isFalse();
        } finally {
            link.sync().configSet("maxmemory", "0");
        }
        j.onTaskStateChanged(task(2), TaskState.RUNNING, TaskState.SUCCEEDED, 1, "done"); // newer than what was kept
        assertThat(j.flush()).isTrue();
        Map<String, String> h = link.sync().hgetall(Keys.run(RunId.parse("r2")));
        assertThat(RunRecords.task(TaskId.parse("g.t1"), h.get("t:g.t1")).state())
                .isEqualTo(TaskState.RUNNING);
        assertThat(RunRecords.task(TaskId.parse("g.t2"), h.get("t:g.t2")).state())
                .isEqualTo(TaskState.SUCCEEDED);
        assertThat(new RunRecords(link.sync()).events(RunId.parse("r2"), "0", 0))
                .extracting(e -> e.fields().get("task") + " " + e.fields().get("to"))
                .containsExactly("g.t1 RUNNING", "g.t2 RUNNING", "g.t2 SUCCEEDED");
    }

    @Test
    void aJournalWhoseEpochNoLongerHoldsTheRunWritesNothingAndHearsWhichEpochDoes() {
        RunJournal j = journal("r3", 5, 4); // a newer leader (epoch 5) claimed the run
        j.onTaskStateChanged(task(1), TaskState.READY, TaskState.RUNNING, 1, "");
        assertThat(j.flush()).isFalse();
        assertThat(fencedBy.get()).isEqualTo(5);
        assertThat(link.sync().hget(Keys.run(RunId.parse("r3")), "t:g.t1")).isNull();
        j.onTaskStateChanged(task(1), TaskState.RUNNING, TaskState.SUCCEEDED, 1, "");
        assertThat(j.flush()).isFalse(); // and never again
        assertThat(link.sync().xlen(Keys.runEvents(RunId.parse("r3")))).isZero();
    }

    @Test
    void theWriteThatEndsARunTakesItOffTheActiveSetAndSetsItsExpiry() {
        RunJournal j = journal("r4", 1, 1);
        j.onTaskStateChanged(task(1), TaskState.RUNNING, TaskState.SUCCEEDED, 1, "");
        j.failBeforeStart("for the test: the run ends");
        assertThat(j.ended()).isTrue();
        assertThat(link.sync().sismember(Keys.ACTIVE_RUNS, "r4")).isFalse();
        assertThat(link.sync().ttl(Keys.run(RunId.parse("r4")))).isPositive();
        assertThat(link.sync().hget(Keys.run(RunId.parse("r4")), "state")).isEqualTo("FAILED");
    }
}
