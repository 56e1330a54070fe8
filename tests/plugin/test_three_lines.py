"""The three-line test a user writes once seedream-mock is installed: no setup of their own."""


def test_callback_arrives(seedream_mock, seedream_webhooks):  # type: ignore[no-untyped-def]
    task_id = seedream_mock.submit("a fox", callback_url=seedream_webhooks.url)
    seedream_mock.clock.advance(60)
    assert seedream_webhooks.wait(1)[0].json()["data"]["task_id"] == task_id
