"""The desk's work on tickets, behind the pages and the API: triage, notes, replies,
escalation, resolution with a survey (`work`); accounts and their throttle (`accounts`);
the clients' portal (`portal`); outgoing webhooks and their sender (`hooks`, `webhooks`);
who is on call (`oncall`).
May import `gateway.config`, `gateway.core`, `gateway.outbound`, `gateway.runtime.services`,
`gateway.web.present` and `store`."""
