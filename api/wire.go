package api

// Wire models: the JSON shapes of swagger.json (definitions under
// Nssol.Platypus.ApiModels), field for field for what kamobot reads. The fake
// server encodes the same types, and the contract test validates both sides
// against swagger.json, so a drift in a name or type fails a test.

// LoginInput is AccountApiModels.LoginInputModel.
type LoginInput struct {
	UserName  string `json:"userName"`
	Password  string `json:"password"`
	TenantID  *int64 `json:"tenantId,omitempty"`
	ExpiresIn *int32 `json:"expiresIn,omitempty"`
}

// SwitchTenantInput is AccountApiModels.SwitchTenantInputModel.
type SwitchTenantInput struct {
	ExpiresIn *int32 `json:"expiresIn,omitempty"`
}

// LoginOutput is AccountApiModels.LoginOutputModel.
type LoginOutput struct {
	Token      string `json:"token"`
	UserName   string `json:"userName"`
	TenantID   int64  `json:"tenantId"`
	TenantName string `json:"tenantName"`
	ExpiresIn  int64  `json:"expiresIn"`
}

// RoleInfo is Infrastructure.Infos.RoleInfo.
type RoleInfo struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	IsCustomed  bool   `json:"isCustomed"`
	SortOrder   int32  `json:"sortOrder"`
	IsOrigin    bool   `json:"isOrigin"`
}

// TenantInfo is Infrastructure.Infos.TenantInfo.
type TenantInfo struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Default     bool       `json:"default"`
	DisplayName string     `json:"displayName"`
	Roles       []RoleInfo `json:"roles"`
	IsOrigin    bool       `json:"isOrigin"`
}

// AccountOutput is AccountApiModels.AccountOutputModel.
type AccountOutput struct {
	UserID                int64        `json:"userId"`
	UserName              string       `json:"userName"`
	PasswordChangeEnabled bool         `json:"passwordChangeEnabled"`
	SelectedTenant        *TenantInfo  `json:"selectedTenant,omitempty"`
	DefaultTenant         *TenantInfo  `json:"defaultTenant,omitempty"`
	Tenants               []TenantInfo `json:"tenants"`
}

// VersionOutput is VersionApiModels.VersionOutputModel.
type VersionOutput struct {
	Version  string   `json:"version"`
	Messages []string `json:"messages"`
}

// ErrorBody is the JSON body of an error answer: KAMONOHASHI's own
// JsonErrorResponse (type, title, detail, instance, errors as an array,
// ApiModels/JsonErrorResponse.cs) or ASP.NET's ValidationProblemDetails for
// a model-binding 400 (type, title, status, traceId, errors as an object
// {field: [messages]}). Errors decodes both.
type ErrorBody struct {
	Type     string    `json:"type,omitempty"`
	Title    string    `json:"title,omitempty"`
	Status   int       `json:"status,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	Instance string    `json:"instance,omitempty"`
	TraceID  string    `json:"traceId,omitempty"`
	Errors   ErrorList `json:"errors,omitempty"`
}

// Audit is the creation and last change of a row: the first four fields
// of every output model of a table (44 definitions of swagger.json).
type Audit struct {
	CreatedBy  string `json:"createdBy"`
	CreatedAt  string `json:"createdAt"`
	ModifiedBy string `json:"modifiedBy,omitempty"`
	ModifiedAt string `json:"modifiedAt,omitempty"`
}

// DataSetIndex is DataSetApiModels.IndexOutputModel.
type DataSetIndex struct {
	Audit
	ID        int64  `json:"id"`
	DisplayID int64  `json:"displayId"`
	Name      string `json:"name"`
	Memo      string `json:"memo,omitempty"`
	IsFlat    bool   `json:"isFlat"`
}

// ContainerImage is Components.ContainerImageOutputModel.
type ContainerImage struct {
	RegistryID   int64  `json:"registryId"`
	Image        string `json:"image"`
	Tag          string `json:"tag"`
	RegistryName string `json:"registryName,omitempty"`
	URL          string `json:"url,omitempty"`
}

// GitCommit is Components.GitCommitOutputModel.
type GitCommit struct {
	GitID      int64  `json:"gitId"`
	Repository string `json:"repository"`
	Owner      string `json:"owner"`
	Branch     string `json:"branch,omitempty"`
	CommitID   string `json:"commitId"`
	URL        string `json:"url,omitempty"`
}

// KeyValue is System.Collections.Generic.KeyValuePair<string,string>.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// JobIndex holds the fields shared by the training, inference and notebook
// list models (TrainingApiModels.IndexOutputModel and its siblings).
type JobIndex struct {
	Audit
	ID        int64  `json:"id"`
	DisplayID int64  `json:"displayId"`
	Name      string `json:"name"`
	Memo      string `json:"memo,omitempty"`
	Status    string `json:"status"`
	Favorite  bool   `json:"favorite"`
	FullName  string `json:"fullName,omitempty"`
}

// TrainingIndex is TrainingApiModels.IndexOutputModel.
type TrainingIndex struct {
	JobIndex
	DataSet            *DataSetIndex `json:"dataSet,omitempty"`
	EntryPoint         string        `json:"entryPoint,omitempty"`
	ParentFullNameList []string      `json:"parentFullNameList,omitempty"`
	Tags               []string      `json:"tags,omitempty"`
}

// InferenceIndex is InferenceApiModels.InferenceIndexOutputModel.
type InferenceIndex struct {
	JobIndex
	DataSet                     *DataSetIndex `json:"dataSet,omitempty"`
	EntryPoint                  string        `json:"entryPoint,omitempty"`
	ParentFullNameList          []string      `json:"parentFullNameList,omitempty"`
	ParentInferenceFullNameList []string      `json:"parentInferenceFullNameList,omitempty"`
	OutputValue                 string        `json:"outputValue,omitempty"`
}

// NotebookIndex is NotebookApiModels.IndexOutputModel: the shared fields only.
type NotebookIndex = JobIndex

// JobRuntime holds the detail fields shared by training, inference and
// notebook details.
type JobRuntime struct {
	Key            string          `json:"key,omitempty"`
	GitModel       *GitCommit      `json:"gitModel,omitempty"`
	Options        []KeyValue      `json:"options,omitempty"`
	ContainerImage *ContainerImage `json:"containerImage,omitempty"`
	CompletedAt    string          `json:"completedAt,omitempty"`
	StartedAt      string          `json:"startedAt,omitempty"`
	Node           string          `json:"node,omitempty"`
	CPU            int32           `json:"cpu"`
	Memory         int32           `json:"memory"`
	GPU            int32           `json:"gpu"`
	Partition      string          `json:"partition,omitempty"`
	StatusType     string          `json:"statusType,omitempty"`
	ConditionNote  string          `json:"conditionNote,omitempty"`
	LocalDataSet   bool            `json:"localDataSet"`
}

// TrainingDetails is TrainingApiModels.DetailsOutputModel.
type TrainingDetails struct {
	TrainingIndex
	JobRuntime
	Parents       []TrainingIndex `json:"parents,omitempty"`
	LogSummary    string          `json:"logSummary,omitempty"`
	Ports         []int32         `json:"ports,omitempty"`
	NodePorts     []KeyValue      `json:"nodePorts,omitempty"`
	WaitingTime   string          `json:"waitingTime,omitempty"`
	ExecutionTime string          `json:"executionTime,omitempty"`
	Zip           bool            `json:"zip"`
}

// InferenceDetails is InferenceApiModels.InferenceDetailsOutputModel.
type InferenceDetails struct {
	InferenceIndex
	JobRuntime
	Parents          []TrainingIndex  `json:"parents,omitempty"`
	ParentInferences []InferenceIndex `json:"parentInferences,omitempty"`
	LogSummary       string           `json:"logSummary,omitempty"`
	Zip              bool             `json:"zip"`
}

// NotebookDetails is NotebookApiModels.DetailsOutputModel.
type NotebookDetails struct {
	JobIndex // NotebookIndex
	JobRuntime
	DataSet           *DataSetIndex    `json:"dataSet,omitempty"`
	Parents           []TrainingIndex  `json:"parents,omitempty"`
	Inferences        []InferenceIndex `json:"inferences,omitempty"`
	JupyterLabVersion string           `json:"jupyterLabVersion,omitempty"`
	NotebookNodePort  string           `json:"notebookNodePort,omitempty"`
	NotebookToken     string           `json:"notebookToken,omitempty"`
	WaitingTime       string           `json:"waitingTime,omitempty"`
	ExecutionTime     string           `json:"executionTime,omitempty"`
	ExpiresIn         int32            `json:"expiresIn"`
	EntryPoint        string           `json:"entryPoint,omitempty"`
}

// PreprocessingIndex is PreprocessingApiModels.IndexOutputModel.
type PreprocessingIndex struct {
	Audit
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Memo   string `json:"memo,omitempty"`
	CPU    int32  `json:"cpu"`
	Memory int32  `json:"memory"`
	GPU    int32  `json:"gpu"`
}

// PreprocessingHistory is PreprocessingApiModels.HistoriesOutputModel.
type PreprocessingHistory struct {
	Key            string `json:"key,omitempty"`
	Status         string `json:"status"`
	StatusType     string `json:"statusType,omitempty"`
	CreatedAt      string `json:"createdAt"`
	DataID         int64  `json:"dataId"`
	DataName       string `json:"dataName"`
	PreprocessID   int64  `json:"preprocessId"`
	PreprocessName string `json:"preprocessName"`
}

// PreprocessingHistoryDetails is PreprocessingApiModels.HistoryDetailsOutputModel.
type PreprocessingHistoryDetails struct {
	PreprocessingHistory
	OutputDataIDs []int64 `json:"outputDataIds,omitempty"`
}
