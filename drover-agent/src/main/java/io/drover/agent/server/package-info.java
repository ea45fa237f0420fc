/**
 * The agent ({@code drover agent}): a gRPC server that runs delegated tasks in a workspace of their own, received
 * as listings and missing contents. It demands a token (and TLS when given certificates) or binds to loopback
 * only, writes nothing outside a workspace's root, and kills a task's process tree when its caller goes away.
 */
package io.drover.agent.server;
