/** The store's one error class, apart so the lock and the database can both throw it. */

/** Thrown when the data folder or its database cannot be opened, or is from a newer server. */
export class StoreError extends Error {
  override name = "StoreError";
}
