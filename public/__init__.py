"""Public information pages: what the network is, security, who may join, fees, how to
apply, schedule, contact, the forms and "what do I need to submit?". Nothing here ever
shows anything about a patient."""
