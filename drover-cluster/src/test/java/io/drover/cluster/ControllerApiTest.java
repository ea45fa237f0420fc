package io.drover.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.cluster.controller.Controller;
import io.drover.cluster.controller.ControllerOptions;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.RunRecords;
import io.drover.core.model.RunId;
import io.drover.core.model.WorkflowSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The controller's HTTP API without a token, as a browser page elsewhere or a slow client would meet it. */
class ControllerApiTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private static Controller controller;

    @BeforeAll
    static void start() {
        controller = Controller.start(ControllerOptions.builder(redis.url())
                .controllerId("api-test")
                .port(0)
                .build());
    }

    @AfterAll
    static void stop() {
        controller.close();
    }

    /** Sends a raw request and returns the status line ("" if the server closed without answering). */
    private static String request(String text) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), controller.httpPort())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return reply;
        }
    }

    @Test
    void aRequestForAHostThatIsNotLoopbackIsRefused() throws Exception {
        String r = request("GET /status HTTP/1.1\r\nHost: rebound.example:7700\r\nConnection: close\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 403").contains("Host 'rebound.example:7700' refused");
    }

    @Test
    @SuppressWarnings("StringConcatToTextBlock") // HTTP's CRLF line ends read clearer as escapes
    void aPostFromAForeignOriginIsRefusedAndOneFromLoopbackIsAnswered() throws Exception {
        String foreign =
                request("POST /runs/nosuch/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\n"
                        + "Content-Length: 0\r\nConnection: close\r\n\r\n");
        assertThat(foreign).startsWith("HTTP/1.1 403").contains("Origin 'https://evil.example' refused");
        String local = request("GET /status HTTP/1.1\r\nHost: localhost:7700\r\nOrigin: http://localhost:7700\r\n"
                + "Connection: close\r\n\r\n");
        assertThat(local).startsWith("HTTP/1.1 200");
    }

    @Test
    void aMalformedLimitIsABadRequestThatSaysWhy() throws Exception {
        String r = request("GET /runs?limit=abc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 400").contains("limit must be a whole number from 1 to 10000, not 'abc'");
    }

    @Test
    void aClientThatNeverFinishesItsRequestIsCutOff() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), controller.httpPort())) {
            s.getOutputStream()
                    .write("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            s.setSoTimeout(60_000);
            long start = System.nanoTime();
            int read = in.read(); // the server closes the connection: -1 (or a reset)
            assertThat(read).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(40));
        } catch (SocketException reset) {
            // closed by the server: what the test waits for
        }
    }

    @Test
    void aGetOnAnActionIsMethodNotAllowedAndSaysWhichMethod() throws Exception {
        String r = request("GET /runs/nosuch/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertThat(r)
                .startsWith("HTTP/1.1 405")
                .containsIgnoringCase("Allow: POST")
                .contains("GET /runs/nosuch/cancel is not allowed: use POST");
        String post =
                request("POST /status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assertThat(post).startsWith("HTTP/1.1 405").containsIgnoringCase("Allow: GET");
    }

    @Test
    void theEventsOfAnUnknownRunAreNotFound() throws Exception {
        String r = request("GET /events?run=nosuch HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 404").contains("no run 'nosuch'");
    }

    @Test
    void theEventStreamOfOneRunEndsWhenTheRunHasEnded() throws Exception {
        await().atMost(Duration.ofSeconds(10)).until(controller::isLeader);
        try (var c = Client.connect(redis.url())) {
            var runs = new RunRecords(redis.commands());
            RunId id = runs.submit(new RunRecords.Submission(
                    new WorkflowSource("empty.lua", "TaskDefinitions = {}"),
                    List.of(),
                    List.of(),
                    Map.of(),
                    "default",
                    1,
                    false,
                    null));
            // read to the end: the server closes the stream after the run's last event (else the read times out)
            String r = request(
                    "GET /events?run=" + id + "&after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertThat(r)
                    .startsWith("HTTP/1.1 200")
                    .contains("\"state\":\"FAILED\"")
                    .contains("TaskDefinitions");
        }
    }
}
