"""What every capability stands on: tasks and their timelines (`tasks.py`), the one clock
(`clock.py`), due events (`scheduler.py`), the event stream (`events.py`), where state lives
(`store.py`), the wire-named errors (`errors.py`), request validation (`validation.py`,
`callback_urls.py`), ids, paging, and the JSON documents the API returns (`documents.py`).

The ground floor: it imports nothing of `mock_server` outside itself at run time (the store
and the documents name records of the capabilities in type annotations only), and never Flask
or the HTTP layer.
"""
