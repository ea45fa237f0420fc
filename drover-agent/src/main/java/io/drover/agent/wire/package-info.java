/**
 * The agent protocol's one edge to generated gRPC code: chunked streams both ways, so no message is ever large.
 * Nothing outside this module sees a protobuf class.
 */
package io.drover.agent.wire;
