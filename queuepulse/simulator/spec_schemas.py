"""Component schemas of the XAPI entities the simulator accepts writes of
(``Pbx.Queue`` for CreateQueue/UpdateQueue, ``Pbx.User`` for UpdateUser) and everything they
reference, exactly as 3CX's official OpenAPI document declares them (descriptions removed).
Generated: the simulator tests regenerate it and fail when it drifts from the document.
"""

from __future__ import annotations

import json
from typing import Any

SCHEMAS: dict[str, Any] = json.loads(
    r"""{
 "Pbx.AgentRoutingAction": {
  "properties": {
   "Action": {
    "type": "string"
   },
   "Name": {
    "nullable": true,
    "type": "string"
   },
   "Number": {
    "nullable": true,
    "type": "string"
   },
   "Tags": {
    "items": {
     "$ref": "#/components/schemas/Pbx.UserTag"
    },
    "type": "array"
   },
   "Type": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.PeerType"
     }
    ],
    "nullable": true
   }
  },
  "title": "AgentRoutingAction",
  "type": "object"
 },
 "Pbx.AgentRoutingDirectory": {
  "properties": {
   "Description": {
    "type": "string"
   },
   "Name": {
    "nullable": true,
    "type": "string"
   },
   "Number": {
    "nullable": true,
    "type": "string"
   },
   "Tags": {
    "items": {
     "$ref": "#/components/schemas/Pbx.UserTag"
    },
    "type": "array"
   },
   "Type": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.PeerType"
     }
    ],
    "nullable": true
   }
  },
  "title": "AgentRoutingDirectory",
  "type": "object"
 },
 "Pbx.AgentSettings": {
  "properties": {
   "AbusiveCallerAction": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.AgentRoutingAction"
     }
    ],
    "nullable": true
   },
   "AgentFallback": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.AgentRoutingAction"
     }
    ],
    "nullable": true
   },
   "AgentType": {
    "nullable": true,
    "type": "string"
   },
   "AllowWebsearch": {
    "nullable": true,
    "type": "boolean"
   },
   "AllowedExtensions": {
    "nullable": true,
    "type": "string"
   },
   "BossInterruptionSettings": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.BossInterruptionSettings"
     }
    ],
    "nullable": true
   },
   "CallerDoesNotRespondAction": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.AgentRoutingAction"
     }
    ],
    "nullable": true
   },
   "CheckStatusBeforeTransfer": {
    "nullable": true,
    "type": "boolean"
   },
   "EnableNameMatching": {
    "nullable": true,
    "type": "boolean"
   },
   "FirstMessage": {
    "nullable": true,
    "type": "string"
   },
   "HumanHandoff": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.AgentRoutingDirectory"
     }
    ],
    "nullable": true
   },
   "Knowledgebase": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "Language": {
    "nullable": true,
    "type": "string"
   },
   "MaxCallDuration": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "PhonebookOverride": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Peer"
     }
    ],
    "nullable": true,
    "x-ms-navigationProperty": true
   },
   "RoutingDirectory": {
    "items": {
     "$ref": "#/components/schemas/Pbx.AgentRoutingDirectory"
    },
    "type": "array"
   },
   "SpamAction": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.AgentRoutingAction"
     }
    ],
    "nullable": true
   },
   "SpamInstructions": {
    "nullable": true,
    "type": "string"
   },
   "SwitchLanguage": {
    "nullable": true,
    "type": "boolean"
   },
   "SystemPrompt": {
    "nullable": true,
    "type": "string"
   },
   "Voice": {
    "nullable": true,
    "type": "string"
   }
  },
  "title": "AgentSettings",
  "type": "object"
 },
 "Pbx.Authentication": {
  "enum": [
   "Both",
   "Name",
   "Email",
   "None"
  ],
  "title": "Authentication",
  "type": "string"
 },
 "Pbx.AvailableRouting": {
  "properties": {
   "BusyAllCalls": {
    "nullable": true,
    "type": "boolean"
   },
   "BusyExternal": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Destination"
     }
    ],
    "nullable": true
   },
   "BusyInternal": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Destination"
     }
    ],
    "nullable": true
   },
   "NoAnswerAllCalls": {
    "nullable": true,
    "type": "boolean"
   },
   "NoAnswerExternal": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Destination"
     }
    ],
    "nullable": true
   },
   "NoAnswerInternal": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Destination"
     }
    ],
    "nullable": true
   },
   "NotRegisteredAllCalls": {
    "nullable": true,
    "type": "boolean"
   },
   "NotRegisteredExternal": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Destination"
     }
    ],
    "nullable": true
   },
   "NotRegisteredInternal": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Destination"
     }
    ],
    "nullable": true
   }
  },
  "title": "AvailableRouting",
  "type": "object"
 },
 "Pbx.AwayRouting": {
  "properties": {
   "AllHoursExternal": {
    "nullable": true,
    "type": "boolean"
   },
   "AllHoursInternal": {
    "nullable": true,
    "type": "boolean"
   },
   "External": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Destination"
     }
    ],
    "nullable": true
   },
   "Internal": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Destination"
     }
    ],
    "nullable": true
   }
  },
  "title": "AwayRouting",
  "type": "object"
 },
 "Pbx.BossInterruptionSettings": {
  "properties": {
   "Block": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.InterruptionDecision"
     }
    ],
    "nullable": true
   },
   "Interrupt": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.InterruptionDecision"
     }
    ],
    "nullable": true
   },
   "Notify": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.InterruptionDecision"
     }
    ],
    "nullable": true
   }
  },
  "title": "BossInterruptionSettings",
  "type": "object"
 },
 "Pbx.ClickToCall": {
  "allOf": [
   {
    "$ref": "#/components/schemas/Pbx.DN"
   },
   {
    "properties": {
     "CallUsEnableChat": {
      "nullable": true,
      "type": "boolean"
     },
     "CallUsEnablePhone": {
      "nullable": true,
      "type": "boolean"
     },
     "CallUsEnableVideo": {
      "nullable": true,
      "type": "boolean"
     },
     "CallUsRequirement": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.Authentication"
       }
      ],
      "nullable": true
     },
     "ClickToCallId": {
      "nullable": true,
      "type": "string"
     }
    },
    "title": "ClickToCall",
    "type": "object"
   }
  ]
 },
 "Pbx.CustomQueueRingtone": {
  "properties": {
   "Queue": {
    "nullable": true,
    "type": "string"
   },
   "Ringtone": {
    "nullable": true,
    "type": "string"
   }
  },
  "title": "CustomQueueRingtone",
  "type": "object"
 },
 "Pbx.DN": {
  "properties": {
   "Groups": {
    "items": {
     "$ref": "#/components/schemas/Pbx.UserGroup"
    },
    "type": "array",
    "x-ms-navigationProperty": true
   },
   "Id": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "type": "integer"
   },
   "Number": {
    "nullable": true,
    "type": "string"
   },
   "TranscriptionMode": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.TranscriptionType"
     }
    ],
    "nullable": true
   }
  },
  "title": "DN",
  "type": "object"
 },
 "Pbx.DayOfWeek": {
  "enum": [
   "Sunday",
   "Monday",
   "Tuesday",
   "Wednesday",
   "Thursday",
   "Friday",
   "Saturday"
  ],
  "title": "DayOfWeek",
  "type": "string"
 },
 "Pbx.Destination": {
  "properties": {
   "External": {
    "nullable": true,
    "type": "string"
   },
   "Name": {
    "nullable": true,
    "type": "string"
   },
   "Number": {
    "nullable": true,
    "type": "string"
   },
   "Tags": {
    "items": {
     "$ref": "#/components/schemas/Pbx.UserTag"
    },
    "type": "array"
   },
   "To": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.DestinationType"
     }
    ],
    "nullable": true
   },
   "Type": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.PeerType"
     }
    ],
    "nullable": true
   }
  },
  "title": "Destination",
  "type": "object"
 },
 "Pbx.DestinationType": {
  "enum": [
   "None",
   "VoiceMail",
   "Extension",
   "Queue",
   "RingGroup",
   "IVR",
   "External",
   "Fax",
   "Boomerang",
   "Deflect",
   "VoiceMailOfDestination",
   "Callback",
   "RoutePoint",
   "ProceedWithNoExceptions"
  ],
  "title": "DestinationType",
  "type": "string"
 },
 "Pbx.ExtensionRule": {
  "properties": {
   "CallType": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.RuleCallTypeType"
     }
    ],
    "nullable": true
   },
   "Condition": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.RuleConditionType"
     }
    ],
    "nullable": true
   },
   "Data": {
    "nullable": true,
    "type": "string"
   },
   "Destination": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Destination"
     }
    ],
    "nullable": true
   },
   "Enabled": {
    "nullable": true,
    "type": "boolean"
   },
   "Hours": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Schedule"
     }
    ],
    "nullable": true
   },
   "Id": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "type": "integer"
   }
  },
  "title": "ExtensionRule",
  "type": "object"
 },
 "Pbx.ForwardingProfile": {
  "properties": {
   "AcceptMultipleCalls": {
    "nullable": true,
    "type": "boolean"
   },
   "AvailableRoute": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.AvailableRouting"
     }
    ],
    "nullable": true
   },
   "AwayRoute": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.AwayRouting"
     }
    ],
    "nullable": true
   },
   "BlockPushCalls": {
    "nullable": true,
    "type": "boolean"
   },
   "CustomMessage": {
    "nullable": true,
    "type": "string"
   },
   "CustomName": {
    "nullable": true,
    "type": "string"
   },
   "DisableRingGroupCalls": {
    "nullable": true,
    "type": "boolean"
   },
   "Id": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "type": "integer"
   },
   "Name": {
    "nullable": true,
    "type": "string"
   },
   "NoAnswerTimeout": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "OfficeHoursAutoQueueLogOut": {
    "nullable": true,
    "type": "boolean"
   },
   "RingMyMobile": {
    "nullable": true,
    "type": "boolean"
   }
  },
  "title": "ForwardingProfile",
  "type": "object"
 },
 "Pbx.Greeting": {
  "properties": {
   "DisplayName": {
    "nullable": true,
    "type": "string"
   },
   "Filename": {
    "nullable": true,
    "type": "string"
   },
   "Type": {
    "$ref": "#/components/schemas/Pbx.ProfileType"
   }
  },
  "title": "Greeting",
  "type": "object"
 },
 "Pbx.InterruptionDecision": {
  "properties": {
   "Action": {
    "nullable": true,
    "type": "string"
   },
   "Instructions": {
    "nullable": true,
    "type": "string"
   }
  },
  "title": "InterruptionDecision",
  "type": "object"
 },
 "Pbx.OfficeHoursBits": {
  "enum": [
   "GlobalSchedule",
   "AutoSwitchProfiles",
   "AutoQueueLogOut",
   "BlockOutboundCalls"
  ],
  "title": "OfficeHoursBits",
  "type": "string",
  "x-ms-enum-flags": {
   "isFlags": true
  }
 },
 "Pbx.Peer": {
  "properties": {
   "Hidden": {
    "nullable": true,
    "type": "boolean"
   },
   "Id": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "type": "integer"
   },
   "MemberOf": {
    "items": {
     "$ref": "#/components/schemas/Pbx.PeerGroup"
    },
    "type": "array",
    "x-ms-navigationProperty": true
   },
   "Name": {
    "nullable": true,
    "type": "string"
   },
   "Number": {
    "nullable": true,
    "type": "string"
   },
   "Tags": {
    "items": {
     "$ref": "#/components/schemas/Pbx.UserTag"
    },
    "type": "array"
   },
   "Type": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.PeerType"
     }
    ],
    "nullable": true
   }
  },
  "title": "Peer",
  "type": "object"
 },
 "Pbx.PeerGroup": {
  "properties": {
   "GroupID": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "type": "integer"
   },
   "IsPrimary": {
    "nullable": true,
    "type": "boolean"
   },
   "Name": {
    "nullable": true,
    "type": "string"
   },
   "Number": {
    "nullable": true,
    "type": "string"
   },
   "RoleName": {
    "nullable": true,
    "type": "string"
   }
  },
  "title": "PeerGroup",
  "type": "object"
 },
 "Pbx.PeerType": {
  "enum": [
   "None",
   "Extension",
   "Queue",
   "RingGroup",
   "IVR",
   "Fax",
   "Conference",
   "SpecialMenu",
   "Parking",
   "ExternalLine",
   "Group",
   "RoutePoint"
  ],
  "title": "PeerType",
  "type": "string"
 },
 "Pbx.Period": {
  "properties": {
   "DayOfWeek": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.DayOfWeek"
     }
    ],
    "nullable": true
   },
   "Start": {
    "format": "time",
    "nullable": true,
    "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,12})?$",
    "type": "string"
   },
   "Stop": {
    "format": "time",
    "nullable": true,
    "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,12})?$",
    "type": "string"
   }
  },
  "title": "Period",
  "type": "object"
 },
 "Pbx.Phone": {
  "properties": {
   "Id": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "type": "integer"
   },
   "Interface": {
    "nullable": true,
    "type": "string"
   },
   "MacAddress": {
    "nullable": true,
    "type": "string"
   },
   "Name": {
    "nullable": true,
    "type": "string"
   },
   "ProvisioningLinkExt": {
    "nullable": true,
    "type": "string"
   },
   "ProvisioningLinkLocal": {
    "nullable": true,
    "type": "string"
   },
   "Settings": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.PhoneSettings"
     }
    ],
    "nullable": true
   },
   "TemplateName": {
    "nullable": true,
    "type": "string"
   }
  },
  "title": "Phone",
  "type": "object"
 },
 "Pbx.PhoneDeviceVlanInfo": {
  "properties": {
   "Configurable": {
    "nullable": true,
    "type": "boolean"
   },
   "Enabled": {
    "nullable": true,
    "type": "boolean"
   },
   "Priority": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "PriorityConfigurable": {
    "nullable": true,
    "type": "boolean"
   },
   "PriorityMax": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "PriorityMin": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "Type": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.PhoneDeviceVlanType"
     }
    ],
    "nullable": true
   },
   "VlanId": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "VlanIdMax": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "VlanIdMin": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   }
  },
  "title": "PhoneDeviceVlanInfo",
  "type": "object"
 },
 "Pbx.PhoneDeviceVlanType": {
  "enum": [
   "Wan",
   "Pc"
  ],
  "title": "PhoneDeviceVlanType",
  "type": "string"
 },
 "Pbx.PhoneLldpInfo": {
  "properties": {
   "Configurable": {
    "nullable": true,
    "type": "boolean"
   },
   "Value": {
    "nullable": true,
    "type": "boolean"
   }
  },
  "title": "PhoneLldpInfo",
  "type": "object"
 },
 "Pbx.PhoneSettings": {
  "properties": {
   "AllowCustomQueueRingtones": {
    "nullable": true,
    "type": "boolean"
   },
   "Backlight": {
    "nullable": true,
    "type": "string"
   },
   "Codecs": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "CustomLogo": {
    "nullable": true,
    "type": "string"
   },
   "CustomQueueRingtones": {
    "items": {
     "$ref": "#/components/schemas/Pbx.CustomQueueRingtone"
    },
    "type": "array"
   },
   "DateFormat": {
    "nullable": true,
    "type": "string"
   },
   "Firmware": {
    "nullable": true,
    "type": "string"
   },
   "FirmwareLang": {
    "nullable": true,
    "type": "string"
   },
   "IsLogoCustomizable": {
    "nullable": true,
    "type": "boolean"
   },
   "IsSBC": {
    "nullable": true,
    "type": "boolean"
   },
   "LlDpInfo": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.PhoneLldpInfo"
     }
    ],
    "nullable": true
   },
   "LocalRTPPortEnd": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "LocalRTPPortStart": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "LocalSipPort": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "LogoDescription": {
    "nullable": true,
    "type": "string"
   },
   "LogoFileExtensionAllowed": {
    "items": {
     "type": "string"
    },
    "type": "array"
   },
   "PhoneLanguage": {
    "nullable": true,
    "type": "string"
   },
   "PowerLed": {
    "nullable": true,
    "type": "string"
   },
   "ProvisionExtendedData": {
    "nullable": true,
    "type": "string"
   },
   "ProvisionType": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.ProvType"
     }
    ],
    "nullable": true
   },
   "QueueRingTone": {
    "nullable": true,
    "type": "string"
   },
   "RemoteSpmHost": {
    "nullable": true,
    "type": "string"
   },
   "RemoteSpmPort": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "RingTone": {
    "nullable": true,
    "type": "string"
   },
   "SbcName": {
    "nullable": true,
    "type": "string"
   },
   "ScreenSaver": {
    "nullable": true,
    "type": "string"
   },
   "Secret": {
    "nullable": true,
    "type": "string"
   },
   "Srtp": {
    "nullable": true,
    "type": "string"
   },
   "TimeFormat": {
    "nullable": true,
    "type": "string"
   },
   "TimeZone": {
    "nullable": true,
    "type": "string"
   },
   "VlanInfos": {
    "items": {
     "$ref": "#/components/schemas/Pbx.PhoneDeviceVlanInfo"
    },
    "type": "array"
   },
   "XferType": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.XferTypeEnum"
     }
    ],
    "nullable": true
   }
  },
  "title": "PhoneSettings",
  "type": "object"
 },
 "Pbx.PollingStrategyType": {
  "enum": [
   "Hunt",
   "RingAll",
   "HuntRandomStart",
   "NextAgent",
   "LongestWaiting",
   "LeastTalkTime",
   "FewestAnswered",
   "HuntBy3s",
   "First3Available",
   "SkillBasedRouting_RingAll",
   "SkillBasedRouting_HuntRandomStart",
   "SkillBasedRouting_RoundRobin",
   "SkillBasedRouting_FewestAnswered"
  ],
  "title": "PollingStrategyType",
  "type": "string"
 },
 "Pbx.ProfileType": {
  "enum": [
   "Default",
   "Available",
   "Away",
   "OutOfOffice",
   "Available2",
   "OutOfOffice2"
  ],
  "title": "ProfileType",
  "type": "string"
 },
 "Pbx.ProvType": {
  "enum": [
   "LocalLan",
   "RemoteExt",
   "RemoteExtSipProxyMgr",
   "SBC"
  ],
  "title": "ProvType",
  "type": "string"
 },
 "Pbx.Queue": {
  "allOf": [
   {
    "$ref": "#/components/schemas/Pbx.ClickToCall"
   },
   {
    "properties": {
     "AgentAvailabilityMode": {
      "nullable": true,
      "type": "boolean"
     },
     "Agents": {
      "items": {
       "$ref": "#/components/schemas/Pbx.QueueAgent"
      },
      "type": "array",
      "x-ms-navigationProperty": true
     },
     "AnnounceEstimatedWaitTime": {
      "nullable": true,
      "type": "boolean"
     },
     "AnnounceEstimatedWaitTimeInterval": {
      "format": "int32",
      "maximum": 2147483647,
      "minimum": -2147483648,
      "nullable": true,
      "type": "integer"
     },
     "AnnounceQueuePosition": {
      "nullable": true,
      "type": "boolean"
     },
     "AnnouncementInterval": {
      "format": "int32",
      "maximum": 2147483647,
      "minimum": -2147483648,
      "nullable": true,
      "type": "integer"
     },
     "AutoLogoutMissedCalls": {
      "format": "int32",
      "maximum": 2147483647,
      "minimum": -2147483648,
      "nullable": true,
      "type": "integer"
     },
     "BreakRoute": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.Route"
       }
      ],
      "nullable": true
     },
     "CallbackEnableTime": {
      "format": "int32",
      "maximum": 2147483647,
      "minimum": -2147483648,
      "nullable": true,
      "type": "integer"
     },
     "CallbackOfferOnly": {
      "nullable": true,
      "type": "boolean"
     },
     "CallbackOfferPrompt": {
      "nullable": true,
      "type": "string"
     },
     "CallbackPrefix": {
      "nullable": true,
      "type": "string"
     },
     "ComfortPrompts": {
      "items": {
       "type": "string"
      },
      "type": "array"
     },
     "ComfortPromptsEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "ComfortPromptsInterval": {
      "format": "int32",
      "maximum": 2147483647,
      "minimum": -2147483648,
      "nullable": true,
      "type": "integer"
     },
     "DestinationNoAnswerPrompt": {
      "nullable": true,
      "type": "string"
     },
     "EnableIntro": {
      "nullable": true,
      "type": "boolean"
     },
     "ForwardNoAnswer": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.Destination"
       }
      ],
      "nullable": true
     },
     "GreetingFile": {
      "nullable": true,
      "type": "string"
     },
     "HolidaysRoute": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.Route"
       }
      ],
      "nullable": true
     },
     "IntroFile": {
      "nullable": true,
      "type": "string"
     },
     "IsRegistered": {
      "nullable": true,
      "type": "boolean"
     },
     "Managers": {
      "items": {
       "$ref": "#/components/schemas/Pbx.QueueManager"
      },
      "type": "array",
      "x-ms-navigationProperty": true
     },
     "MasterTimeout": {
      "format": "int32",
      "maximum": 2147483647,
      "minimum": -2147483648,
      "nullable": true,
      "type": "integer"
     },
     "MaxCallersInQueue": {
      "format": "int32",
      "maximum": 2147483647,
      "minimum": -2147483648,
      "nullable": true,
      "type": "integer"
     },
     "MaxWaitStrategyEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "MaxWaitTimeSkillGroupValues": {
      "items": {
       "format": "int32",
       "maximum": 2147483647,
       "minimum": -2147483648,
       "type": "integer"
      },
      "type": "array"
     },
     "Name": {
      "nullable": true,
      "type": "string"
     },
     "NotifyCodes": {
      "items": {
       "$ref": "#/components/schemas/Pbx.QueueNotifyCode"
      },
      "type": "array"
     },
     "OnHoldFile": {
      "nullable": true,
      "type": "string"
     },
     "OutOfOfficeRoute": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.Route"
       }
      ],
      "nullable": true
     },
     "PlayFullPrompt": {
      "nullable": true,
      "type": "boolean"
     },
     "PollingStrategy": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.PollingStrategyType"
       }
      ],
      "nullable": true
     },
     "PriorityQueue": {
      "nullable": true,
      "type": "boolean"
     },
     "PromptSet": {
      "nullable": true,
      "type": "string"
     },
     "Recording": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.QueueRecording"
       }
      ],
      "nullable": true
     },
     "ResetQueueStatisticsSchedule": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.ResetQueueStatisticsSchedule"
       }
      ],
      "nullable": true
     },
     "ResetStatisticsScheduleEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "RingTimeout": {
      "format": "int32",
      "maximum": 2147483647,
      "minimum": -2147483648,
      "nullable": true,
      "type": "integer"
     },
     "SLATime": {
      "format": "int32",
      "maximum": 2147483647,
      "minimum": -2147483648,
      "nullable": true,
      "type": "integer"
     },
     "SkillBasedRingAllCumulativePollingEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "StopBackgroundWhenPrompt": {
      "nullable": true,
      "type": "boolean"
     },
     "TypeOfChatOwnershipType": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.TypeOfChatOwnershipType"
       }
      ],
      "nullable": true
     },
     "VMEmailList": {
      "nullable": true,
      "type": "string"
     },
     "VMEmailOptions": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.VMEmailOptionsType"
       }
      ],
      "nullable": true
     },
     "WrapUpTime": {
      "format": "int32",
      "maximum": 2147483647,
      "minimum": -2147483648,
      "nullable": true,
      "type": "integer"
     }
    },
    "title": "Queue",
    "type": "object"
   }
  ]
 },
 "Pbx.QueueAgent": {
  "properties": {
   "Id": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "Name": {
    "nullable": true,
    "type": "string"
   },
   "Number": {
    "type": "string"
   },
   "SkillGroup": {
    "nullable": true,
    "type": "string"
   },
   "Tags": {
    "items": {
     "$ref": "#/components/schemas/Pbx.UserTag"
    },
    "type": "array"
   }
  },
  "title": "QueueAgent",
  "type": "object"
 },
 "Pbx.QueueManager": {
  "properties": {
   "Id": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "Name": {
    "nullable": true,
    "type": "string"
   },
   "Number": {
    "type": "string"
   },
   "Tags": {
    "items": {
     "$ref": "#/components/schemas/Pbx.UserTag"
    },
    "type": "array"
   }
  },
  "title": "QueueManager",
  "type": "object"
 },
 "Pbx.QueueNotifyCode": {
  "enum": [
   "Callback",
   "CallbackFail",
   "SLATimeBreached",
   "CallLost",
   "AgentAutoLogout"
  ],
  "title": "QueueNotifyCode",
  "type": "string"
 },
 "Pbx.QueueRecording": {
  "enum": [
   "Disabled",
   "AllowToOptOut",
   "AskToOptIn"
  ],
  "title": "QueueRecording",
  "type": "string"
 },
 "Pbx.QueueStatusType": {
  "enum": [
   "LoggedOut",
   "LoggedIn"
  ],
  "title": "QueueStatusType",
  "type": "string"
 },
 "Pbx.ResetQueueStatisticsFrequency": {
  "enum": [
   "Disabled",
   "Daily",
   "Weekly",
   "Monthly"
  ],
  "title": "ResetQueueStatisticsFrequency",
  "type": "string"
 },
 "Pbx.ResetQueueStatisticsSchedule": {
  "properties": {
   "Day": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.DayOfWeek"
     }
    ],
    "nullable": true
   },
   "Frequency": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.ResetQueueStatisticsFrequency"
     }
    ],
    "nullable": true
   },
   "Time": {
    "format": "time",
    "nullable": true,
    "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,12})?$",
    "type": "string"
   }
  },
  "title": "ResetQueueStatisticsSchedule",
  "type": "object"
 },
 "Pbx.Rights": {
  "properties": {
   "AllowIVR": {
    "nullable": true,
    "type": "boolean"
   },
   "AllowParking": {
    "nullable": true,
    "type": "boolean"
   },
   "AllowToChangePresence": {
    "nullable": true,
    "type": "boolean"
   },
   "AllowToManageCompanyBook": {
    "nullable": true,
    "type": "boolean"
   },
   "AssignClearOperations": {
    "nullable": true,
    "type": "boolean"
   },
   "CanBargeIn": {
    "nullable": true,
    "type": "boolean"
   },
   "CanIntercom": {
    "nullable": true,
    "type": "boolean"
   },
   "CanSeeGroupCalls": {
    "nullable": true,
    "type": "boolean"
   },
   "CanSeeGroupMembers": {
    "nullable": true,
    "type": "boolean"
   },
   "CanSeeGroupRecordings": {
    "nullable": true,
    "type": "boolean"
   },
   "Invalid": {
    "nullable": true,
    "type": "boolean"
   },
   "PerformOperations": {
    "nullable": true,
    "type": "boolean"
   },
   "RoleName": {
    "type": "string"
   },
   "ShowMyCalls": {
    "nullable": true,
    "type": "boolean"
   },
   "ShowMyPresence": {
    "nullable": true,
    "type": "boolean"
   },
   "ShowMyPresenceOutside": {
    "nullable": true,
    "type": "boolean"
   }
  },
  "title": "Rights",
  "type": "object"
 },
 "Pbx.Route": {
  "properties": {
   "IsPromptEnabled": {
    "nullable": true,
    "type": "boolean"
   },
   "Prompt": {
    "nullable": true,
    "type": "string"
   },
   "Route": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Destination"
     }
    ],
    "nullable": true
   }
  },
  "title": "Route",
  "type": "object"
 },
 "Pbx.RuleCallTypeType": {
  "enum": [
   "AllCalls",
   "InternalCallsOnly",
   "ExternalCallsOnly"
  ],
  "title": "RuleCallTypeType",
  "type": "string"
 },
 "Pbx.RuleConditionType": {
  "enum": [
   "NoAnswer",
   "PhoneBusy",
   "PhoneNotRegistered",
   "ForwardAll",
   "BasedOnCallerID",
   "BasedOnDID"
  ],
  "title": "RuleConditionType",
  "type": "string"
 },
 "Pbx.RuleHoursType": {
  "enum": [
   "AllHours",
   "OfficeHours",
   "OutOfOfficeHours",
   "SpecificHours",
   "SpecificHoursExcludingHolidays",
   "OutOfSpecificHours",
   "OutOfSpecificHoursIncludingHolidays",
   "Never",
   "BreakTime"
  ],
  "title": "RuleHoursType",
  "type": "string"
 },
 "Pbx.SRTPModeType": {
  "enum": [
   "SRTPDisabled",
   "SRTPEnabled",
   "SRTPEnforced"
  ],
  "title": "SRTPModeType",
  "type": "string"
 },
 "Pbx.Schedule": {
  "properties": {
   "IgnoreHolidays": {
    "nullable": true,
    "type": "boolean"
   },
   "Periods": {
    "items": {
     "$ref": "#/components/schemas/Pbx.Period"
    },
    "type": "array"
   },
   "Type": {
    "$ref": "#/components/schemas/Pbx.RuleHoursType"
   }
  },
  "title": "Schedule",
  "type": "object"
 },
 "Pbx.TranscriptionType": {
  "enum": [
   "Nothing",
   "Voicemail",
   "Recordings",
   "Both",
   "Inherit"
  ],
  "title": "TranscriptionType",
  "type": "string",
  "x-ms-enum-flags": {
   "isFlags": true
  }
 },
 "Pbx.TypeOfChatOwnershipType": {
  "enum": [
   "TakeManually",
   "AutoAssign"
  ],
  "title": "TypeOfChatOwnershipType",
  "type": "string"
 },
 "Pbx.User": {
  "allOf": [
   {
    "$ref": "#/components/schemas/Pbx.ClickToCall"
   },
   {
    "properties": {
     "AIAgent": {
      "nullable": true,
      "type": "boolean"
     },
     "AccessPassword": {
      "nullable": true,
      "type": "string"
     },
     "AgentSettings": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.AgentSettings"
       }
      ],
      "nullable": true
     },
     "AllowLanOnly": {
      "nullable": true,
      "type": "boolean"
     },
     "AllowOwnRecordings": {
      "nullable": true,
      "type": "boolean"
     },
     "AuthID": {
      "nullable": true,
      "type": "string"
     },
     "AuthPassword": {
      "nullable": true,
      "type": "string"
     },
     "Blfs": {
      "maxLength": 20480,
      "nullable": true,
      "type": "string"
     },
     "BlockTunnel": {
      "nullable": true,
      "type": "boolean"
     },
     "BreakTime": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.Schedule"
       }
      ],
      "nullable": true
     },
     "CallScreening": {
      "nullable": true,
      "type": "boolean"
     },
     "ContactImage": {
      "nullable": true,
      "type": "string"
     },
     "CurrentProfileName": {
      "nullable": true,
      "type": "string"
     },
     "DatevEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "DeskphonePassword": {
      "nullable": true,
      "type": "string"
     },
     "DisplayName": {
      "nullable": true,
      "type": "string"
     },
     "EmailAddress": {
      "nullable": true,
      "type": "string"
     },
     "EmergencyAdditionalInfo": {
      "nullable": true,
      "type": "string"
     },
     "EmergencyLocationId": {
      "nullable": true,
      "type": "string"
     },
     "Enable2FA": {
      "nullable": true,
      "type": "boolean"
     },
     "EnableHotdesking": {
      "nullable": true,
      "type": "boolean"
     },
     "Enabled": {
      "nullable": true,
      "type": "boolean"
     },
     "FirstName": {
      "nullable": true,
      "type": "string"
     },
     "ForbidRecording": {
      "nullable": true,
      "type": "boolean"
     },
     "ForwardingExceptions": {
      "items": {
       "$ref": "#/components/schemas/Pbx.ExtensionRule"
      },
      "type": "array",
      "x-ms-navigationProperty": true
     },
     "ForwardingProfiles": {
      "items": {
       "$ref": "#/components/schemas/Pbx.ForwardingProfile"
      },
      "type": "array",
      "x-ms-navigationProperty": true
     },
     "GoogleCalendarEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "GoogleContactsEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "GoogleSignInEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "Greetings": {
      "items": {
       "$ref": "#/components/schemas/Pbx.Greeting"
      },
      "type": "array",
      "x-ms-navigationProperty": true
     },
     "HideInPhonebook": {
      "nullable": true,
      "type": "boolean"
     },
     "HotdeskingAssignment": {
      "nullable": true,
      "type": "string"
     },
     "Hours": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.Schedule"
       }
      ],
      "nullable": true
     },
     "Internal": {
      "nullable": true,
      "type": "boolean"
     },
     "IsRegistered": {
      "nullable": true,
      "type": "boolean"
     },
     "Language": {
      "nullable": true,
      "type": "string"
     },
     "LastName": {
      "nullable": true,
      "type": "string"
     },
     "MS365CalendarEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "MS365ContactsEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "MS365SignInEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "MS365TeamsEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "Mobile": {
      "nullable": true,
      "type": "string"
     },
     "MyPhoneAllowDeleteRecordings": {
      "nullable": true,
      "type": "boolean"
     },
     "MyPhoneHideForwardings": {
      "nullable": true,
      "type": "boolean"
     },
     "MyPhonePush": {
      "nullable": true,
      "type": "boolean"
     },
     "MyPhoneShowRecordings": {
      "nullable": true,
      "type": "boolean"
     },
     "OfficeHoursProps": {
      "items": {
       "$ref": "#/components/schemas/Pbx.OfficeHoursBits"
      },
      "type": "array"
     },
     "OutboundCallerID": {
      "nullable": true,
      "type": "string"
     },
     "PbxDeliversAudio": {
      "nullable": true,
      "type": "boolean"
     },
     "Phones": {
      "items": {
       "$ref": "#/components/schemas/Pbx.Phone"
      },
      "type": "array",
      "x-ms-navigationProperty": true
     },
     "PinProtectTimeout": {
      "format": "int32",
      "maximum": 2147483647,
      "minimum": -2147483648,
      "nullable": true,
      "type": "integer"
     },
     "PinProtected": {
      "nullable": true,
      "type": "boolean"
     },
     "PrimaryGroupId": {
      "format": "int32",
      "maximum": 2147483647,
      "minimum": -2147483648,
      "nullable": true,
      "type": "integer"
     },
     "PromptSet": {
      "nullable": true,
      "type": "string"
     },
     "QueueStatus": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.QueueStatusType"
       }
      ],
      "nullable": true
     },
     "RecordCalls": {
      "nullable": true,
      "type": "boolean"
     },
     "RecordEmailNotify": {
      "nullable": true,
      "type": "boolean"
     },
     "RecordExternalCallsOnly": {
      "nullable": true,
      "type": "boolean"
     },
     "Require2FA": {
      "nullable": true,
      "type": "boolean"
     },
     "SIPID": {
      "nullable": true,
      "type": "string"
     },
     "SRTPMode": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.SRTPModeType"
       }
      ],
      "nullable": true
     },
     "SendEmailMissedCalls": {
      "nullable": true,
      "type": "boolean"
     },
     "Tags": {
      "items": {
       "$ref": "#/components/schemas/Pbx.UserTag"
      },
      "type": "array"
     },
     "VMDisablePinAuth": {
      "nullable": true,
      "type": "boolean"
     },
     "VMEmailOptions": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.VMEmailOptionsType"
       }
      ],
      "nullable": true
     },
     "VMEnabled": {
      "nullable": true,
      "type": "boolean"
     },
     "VMPIN": {
      "nullable": true,
      "type": "string"
     },
     "VMPlayCallerID": {
      "nullable": true,
      "type": "boolean"
     },
     "VMPlayMsgDateTime": {
      "allOf": [
       {
        "$ref": "#/components/schemas/Pbx.VMPlayMsgDateTimeType"
       }
      ],
      "nullable": true
     },
     "WebMeetingApproveParticipants": {
      "nullable": true,
      "type": "boolean"
     },
     "WebMeetingFriendlyName": {
      "nullable": true,
      "type": "string"
     }
    },
    "title": "User",
    "type": "object"
   }
  ]
 },
 "Pbx.UserGroup": {
  "properties": {
   "CanDelete": {
    "nullable": true,
    "type": "boolean"
   },
   "GroupId": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "GroupRights": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Rights"
     }
    ],
    "nullable": true,
    "x-ms-navigationProperty": true
   },
   "Id": {
    "format": "int32",
    "maximum": 2147483647,
    "minimum": -2147483648,
    "nullable": true,
    "type": "integer"
   },
   "MemberName": {
    "nullable": true,
    "type": "string"
   },
   "Name": {
    "nullable": true,
    "type": "string"
   },
   "Number": {
    "nullable": true,
    "type": "string"
   },
   "Rights": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.Rights"
     }
    ],
    "nullable": true,
    "x-ms-navigationProperty": true
   },
   "Tags": {
    "items": {
     "$ref": "#/components/schemas/Pbx.UserTag"
    },
    "type": "array"
   },
   "TranscriptionMode": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.TranscriptionType"
     }
    ],
    "nullable": true
   },
   "Type": {
    "allOf": [
     {
      "$ref": "#/components/schemas/Pbx.PeerType"
     }
    ],
    "nullable": true
   }
  },
  "title": "UserGroup",
  "type": "object"
 },
 "Pbx.UserTag": {
  "enum": [
   "MS",
   "Teams",
   "Google",
   "WakeUp",
   "FaxServer",
   "Principal",
   "WeakID",
   "WeakPass",
   "WM",
   "AI"
  ],
  "title": "UserTag",
  "type": "string"
 },
 "Pbx.VMEmailOptionsType": {
  "enum": [
   "None",
   "Notification",
   "Attachment",
   "AttachmentAndDelete",
   "VmailToMembers",
   "EmailToExtrasOnly"
  ],
  "title": "VMEmailOptionsType",
  "type": "string"
 },
 "Pbx.VMPlayMsgDateTimeType": {
  "enum": [
   "None",
   "Play12Hr",
   "Play24Hr"
  ],
  "title": "VMPlayMsgDateTimeType",
  "type": "string"
 },
 "Pbx.XferTypeEnum": {
  "enum": [
   "BXfer",
   "AttXfer"
  ],
  "title": "XferTypeEnum",
  "type": "string"
 }
}"""
)
