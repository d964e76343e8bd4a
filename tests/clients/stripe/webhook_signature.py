"""Stripe's official Python library on our webhook deliveries (called by tests/tests/stripe.rs).

    sign <secret> <payload file> [timestamp]   prints the Stripe-Signature header the
                                                library generates for the payload
    verify <secret> <payload file> <header>     checks a header of ours with the library's
                                                Webhook.construct_event; prints the event type
"""

import sys

import stripe


def main() -> None:
    mode, secret, path = sys.argv[1:4]
    with open(path, encoding="utf-8") as f:
        payload = f.read()
    if mode == "sign":
        timestamp = int(sys.argv[4]) if len(sys.argv) > 4 else None
        print(stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp))
    elif mode == "verify":
        event = stripe.Webhook.construct_event(payload, sys.argv[4], secret)
        print(event["type"])
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
