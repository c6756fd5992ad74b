/**
 * Jepsen's bank checker: transfers between accounts must conserve the total, and every read of all
 * balances (taken as one snapshot) must show that total and no negative balance.
 */
package io.ordo.jepsen.checker.bank;
