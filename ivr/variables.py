"""Channel variables shared by the flows and asterisk_conf/extensions.conf: the dialplan contract, in one place.

The inbound flow decides; the dialplan only acts on these. Names are exact: the dialplan reads them.
"""

from __future__ import annotations

# Set by the inbound flow for the dialplan.
IVR_LANG = "IVR_LANG"  # chosen language code (also set as CHANNEL(language))
IVR_ROUTE = "IVR_ROUTE"  # queue | voicemail | hangup (callcenter.records.Route)
IVR_QUEUE = "IVR_QUEUE"  # queue name when IVR_ROUTE=queue
IVR_QUEUE_TIMEOUT = "IVR_QUEUE_TIMEOUT"  # seconds in queue before the dialplan offers voicemail
IVR_REQUEST_TYPE = "IVR_REQUEST_TYPE"  # request type digit chosen by the caller ("" if none)
IVR_REFERENCE = "IVR_REFERENCE"  # request reference keyed for a status request ("" if none)

# Bookkeeping the flows leave for call_end (the hangup handler) to build the call record.
IVR_STARTED = "IVR_STARTED"  # epoch seconds (flow clock) when the inbound flow began
IVR_ANSWERED = "IVR_ANSWERED"  # ${EPOCH} when the dialplan answered: the start when the flow could not say
IVR_QUEUE_JOINED = "IVR_QUEUE_JOINED"  # ${EPOCH} when the dialplan entered Queue() (Asterisk clock)
IVR_QUEUE_LEFT = "IVR_QUEUE_LEFT"  # ${EPOCH} when Queue() returned (agent hung up, timeout, queue emptied)
IVR_CLOSED = "IVR_CLOSED"  # closed reason when the call came outside business hours
IVR_STAGE = "IVR_STAGE"  # last step reached in the IVR when the caller hung up there
IVR_VOICEMAIL = "IVR_VOICEMAIL"  # path of the recorded message (without extension) when one was left
IVR_SURVEY = "IVR_SURVEY"  # the 1-5 rating the caller keyed in the post-call survey
IVR_ERROR = "IVR_ERROR"  # set when a flow failed and fell back to a safe route

# Set by Asterisk (app_queue with setinterfacevar/setqueueentryvar, core) and read by call_end.
QUEUESTATUS = "QUEUESTATUS"  # why Queue() returned without an agent: TIMEOUT, JOINEMPTY, LEAVEEMPTY, FULL, ...
MEMBERINTERFACE = "MEMBERINTERFACE"  # the agent interface that answered (setinterfacevar=yes)
QEHOLDTIME = "QEHOLDTIME"  # seconds the caller waited before an agent answered (setqueueentryvar=yes)
HANGUPCAUSE = "HANGUPCAUSE"
EPOCH = "EPOCH"  # Asterisk's current time, read by call_end

# The waiting experience (queue_wait flow, issue 6) and the dialplan's queue loop.
IVR_QUEUE_ANNOUNCE = "IVR_QUEUE_ANNOUNCE"  # global: seconds in the queue between two announcements/offers
IVR_QUEUE_SLICE = "IVR_QUEUE_SLICE"  # seconds of the next Queue() slice (set by queue_wait)
IVR_QUEUE_POSITION = "IVR_QUEUE_POSITION"  # position to re-enter the queue at (Queue's position argument)
IVR_CALLBACK = "IVR_CALLBACK"  # "booked" (a new callback) or "existing" (the number already had one)
QUEUEPOSITION = "QUEUEPOSITION"  # set by app_queue: the caller's position when Queue() returned
# Set by the API's Originate of a callback (api/ami/service.py), read by the dialplan's [ivr-callback].
IVR_CALLBACK_ID = "IVR_CALLBACK_ID"
IVR_CALLBACK_NUMBER = "IVR_CALLBACK_NUMBER"
LINKEDID = "CHANNEL(linkedid)"
CALLER_NUMBER = "CALLERID(num)"
CALLER_NAME = "CALLERID(name)"
