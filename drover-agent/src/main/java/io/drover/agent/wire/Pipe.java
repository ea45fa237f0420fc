package io.drover.agent.wire;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.CallStreamObserver;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One side of a bidirectional stream as a blocking, flow-controlled pipe, for code that runs the protocol as a
 * plain sequence on its own (virtual) thread: {@link #send} waits while the transport is not ready (so a large
 * upload never piles up in memory), {@link #receive} asks for one message at a time. The same class serves the
 * master's and the agent's side.
 *
 * @param <I> messages received
 * @param <O> messages sent
 */
public final class Pipe<I, O> implements StreamObserver<I>, ClientResponseObserver<O, I> {
    private static final Object COMPLETED = new Object();

    private final BlockingQueue<Object> inbound = new LinkedBlockingQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private volatile CallStreamObserver<O> out;
    private volatile Object terminal;

    /** The client's side: pass the pipe itself as the response observer of a bidi call. */
    @Override
    public void beforeStart(ClientCallStreamObserver<O> requests) {
        requests.disableAutoRequestWithInitial(1);
        attach(requests, false);
    }

    /** Cancels the call (client side); the peer sees CANCELLED. */
    public void cancel(String why) {
        if (out instanceof ClientCallStreamObserver<O> c) c.cancel(why, null);
    }

    /** Connects the outgoing side; call before the first {@link #send}. Turns off automatic inbound flow control. */
    public void attach(CallStreamObserver<O> outgoing, boolean requestFirst) {
        this.out = outgoing;
        outgoing.setOnReadyHandler(this::signal);
        if (requestFirst) outgoing.request(1);
    }

    private void signal() {
        lock.lock();
        try {
            ready.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- inbound (gRPC's threads) ----

    @Override
    public void onNext(I value) {
        inbound.add(value);
    }

    @Override
    public void onError(Throwable t) {
        inbound.add(t);
        signal();
    }

    @Override
    public void onCompleted() {
        inbound.add(COMPLETED);
        signal();
    }

    // ---- the protocol's thread ----

    /**
     * The next message, or {@code null} when the peer completed the stream.
     *
     * @throws StatusRuntimeException when the stream failed or the wait ran out
     */
    @SuppressWarnings("unchecked")
    public I receive(long timeout, TimeUnit unit) {
        Object o = terminal;
        if (o == null) {
            try {
                o = inbound.poll(timeout, unit);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
            }
            if (o == null)
                throw Status.DEADLINE_EXCEEDED
                        .withDescription("no message from the peer in " + unit.toSeconds(timeout) + " s")
                        .asRuntimeException();
        }
        if (o == COMPLETED) {
            terminal = o;
            return null;
        }
        if (o instanceof Throwable t) {
            terminal = o;
            throw t instanceof StatusRuntimeException s
                    ? s
                    : Status.fromThrowable(t).asRuntimeException();
        }
        out.request(1);
        return (I) o;
    }

    /** Sends one message, waiting while the transport is not ready for more. Thread-safe. */
    public void send(O message) {
        lock.lock();
        try {
            while (!out.isReady()) {
                Object end = terminal != null
                        ? terminal
                        : inbound.stream()
                                .filter(x -> x instanceof Throwable)
                                .findFirst()
                                .orElse(null);
                if (end instanceof Throwable t) {
                    throw t instanceof StatusRuntimeException s
                            ? s
                            : Status.fromThrowable(t).asRuntimeException();
                }
                if (end != null)
                    throw Status.CANCELLED
                            .withDescription("the peer ended the stream")
                            .asRuntimeException();
                ready.await(200, TimeUnit.MILLISECONDS);
            }
            out.onNext(message);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        } finally {
            lock.unlock();
        }
    }

    public void complete() {
        lock.lock();
        try {
            out.onCompleted();
        } finally {
            lock.unlock();
        }
    }

    public void fail(Status status) {
        lock.lock();
        try {
            out.onError(status.asRuntimeException());
        } catch (IllegalStateException e) {
            // already closed
        } finally {
            lock.unlock();
        }
    }
}
