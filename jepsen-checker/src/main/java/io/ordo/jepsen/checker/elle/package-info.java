/**
 * Elle-style transactional consistency checkers (Kingsbury &amp; Alvaro, "Elle: Inferring Isolation
 * Anomalies from Experimental Observations", VLDB 2020): {@link
 * io.ordo.jepsen.checker.elle.ListAppendChecker} for list-append histories and {@link
 * io.ordo.jepsen.checker.elle.RwRegisterChecker} for read/write register histories. Both infer a
 * dependency graph (Adya's ww, wr, rw plus realtime and process order), search it for cycles and
 * classify them (G0, G1c, G-single, G-nonadjacent, G2-item, with -process and -realtime
 * variants), add the non-cycle anomalies (G1a, G1b, internal, ...) and judge the result against
 * the consistency models of {@link io.ordo.jepsen.checker.elle.internal.ConsistencyModels}.
 */
package io.ordo.jepsen.checker.elle;
