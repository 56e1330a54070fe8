"""The request journal: what clients sent to the public routes and what they got, kept in a
bounded ring for `/_mock/requests`, the pytest handle's `assert_requested` and the inspector."""
