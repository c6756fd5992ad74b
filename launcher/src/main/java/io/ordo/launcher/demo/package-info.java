/**
 * The bank demo: the YCSB-T transfer workload (uniform debtor, Zipfian creditor) driven through
 * the gateway's gRPC API by closed-loop clients with seeded Randoms, and the final check that
 * money is conserved ({@link io.ordo.launcher.demo.BankDemo}).
 */
package io.ordo.launcher.demo;
