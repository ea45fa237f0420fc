/**
 * The calling side of agents: {@link io.drover.agent.client.AgentDispatcher} sends a run's delegated attempts to
 * agents by name or address, with the working directory as a delta, and applies each attempt's changes to it all
 * or none, refusing a change that conflicts with one made meanwhile.
 */
package io.drover.agent.client;
