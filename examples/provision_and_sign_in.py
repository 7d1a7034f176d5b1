"""A small partner integration: provision a user, sign them in with single sign-on, print their
progress. It uses only the Python SDK (`greenroom_client`).

    python examples/provision_and_sign_in.py --org demo --api-key KEY \\
        --base-url http://127.0.0.1:8000 --partner-id abc123def

`--base-url` connects to an address while sending the org's Host header (Python does not resolve
`*.localhost`); leave it out to talk to `https://{org}.{base-domain}`.
"""

from __future__ import annotations

import argparse
import os
import sys

from greenroom_client import Greenroom, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--org", required=True, help="your org's slug, e.g. xyz")
    parser.add_argument("--api-key", default=os.environ.get("GREENROOM_API_KEY"))
    parser.add_argument("--base-domain", default="greenroom.localhost")
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--sandbox", action="store_true")
    parser.add_argument("--partner-id", default="abc123def")
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("give --api-key or set GREENROOM_API_KEY")

    with Greenroom(
        org=args.org,
        api_key=args.api_key,
        sandbox=args.sandbox,
        base_domain=args.base_domain,
        base_url=args.base_url,
    ) as gr:
        try:
            check = gr.auth.check()
            print(
                f"Authenticated to {check.org.slug} ({check.environment}) "
                f"with key ...{check.key.last4}"
            )
            user = gr.users.upsert(
                args.partner_id,
                first_name="Ada",
                last_name="Lovelace",
                email=f"{args.partner_id}@xyz.example.com",
            )
            print(f"User {user.partner_id}: {user.first_name} {user.last_name}")

            tracks = gr.progress.tracks(args.partner_id).tracks
            first_lesson = tracks[0].tracks[0].link if tracks else "/members/dashboard"
            sso = gr.sso.create(args.partner_id, redirect_to=first_lesson)
            print(f"Sign-in URL (send the user's browser here): {sso.url}")

            progress = gr.progress.get(args.partner_id)
            lessons = progress.lessons
            interviews = progress.practice_interviews
            print(
                f"Progress: {progress.percent_complete}% complete; lessons "
                f"{lessons.completed}/{lessons.total}; practice interviews "
                f"{interviews.completed} completed of {interviews.started} started"
            )
        except errors.GreenroomError as exc:
            print(f"error: {exc.code}: {exc} (request {exc.request_id})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
