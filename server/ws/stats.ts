/**
 * Counters of the streaming layer, shared by every session of one server, so a
 * metrics endpoint can read them without reaching into sockets.
 */

/** Totals since the server started. */
export class StreamStats {
  /** Sockets open now. */
  openSockets = 0;
  /** Media messages written to sockets. */
  mediaSent = 0;
  /** Media messages replaced by a newer preview before they could be sent. */
  mediaDropped = 0;
  /** Error events sent for bad messages. */
  errors = 0;
}
